"""The Jenkinsfile, checked without Jenkins: its structure (a small Groovy tokenizer), its credentials,
and its shell steps, the Refresh one run for real with bash up to the CLI's own refusal."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from amrit_assets.cli import parse_databases
from amrit_assets.partitions import DATABASES

ROOT = Path(__file__).resolve().parent.parent
JENKINSFILE = ROOT / "Jenkinsfile"
SECRET_NAME = re.compile(r"PASSWORD|_KEY$|TOKEN|SECRET|WEBHOOK")
SECRET_VARS = ["AMRIT_ANON_KEY", *(f"AMRIT_{role}_PASSWORD" for role in ("SOURCE", "WORKSPACE", "UAT"))]

_TOKEN = re.compile(
    r"""(?P<comment>//[^\n]*|/\*.*?\*/)
      |(?P<tq>'''.*?''')|(?P<tdq>\"\"\".*?\"\"\")
      |(?P<sq>'(?:[^'\\\n]|\\.)*')|(?P<dq>"(?:[^"\\\n]|\\.)*")
      |(?P<word>[A-Za-z_][A-Za-z0-9_.]*)|(?P<punct>[{}()\[\],:])|(?P<other>\S)""",
    re.S | re.X,
)


@dataclass
class Block:
    """``name(args) { body }`` in the pipeline DSL."""

    name: str
    args: list[tuple[str, str]] = field(default_factory=list)  # (token kind, text)
    children: list[Block] = field(default_factory=list)
    strings: list[tuple[str, str]] = field(default_factory=list)  # string literals directly in the body

    def find(self, name: str) -> list[Block]:
        return [b for b in self.walk() if b.name == name]

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


def tokens(text: str) -> list[tuple[str, str]]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind != "comment":
            out.append((kind, m.group()))
    return out


def parse(text: str) -> Block:
    """Nest ``{ }`` blocks, naming each by the word (and parenthesized arguments) before it; braces must balance."""
    root, stack, pending, args, depth = Block("<file>"), [], None, [], 0
    current = root
    for kind, tok in tokens(text):
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
            assert depth >= 0, "unbalanced parentheses"
        if kind == "word" and depth == 0:
            pending, args = tok, []
        elif tok == "{":
            block = Block(pending or "<closure>", args)
            current.children.append(block)
            stack.append(current)
            current, pending, args = block, None, []
        elif tok == "}":
            assert stack, "unbalanced braces"
            current = stack.pop()
        elif depth > 0 or tok in "()":
            args.append((kind, tok))
            if kind in ("sq", "dq", "tq", "tdq"):
                current.strings.append((kind, tok))
        elif kind in ("sq", "dq", "tq", "tdq"):
            current.strings.append((kind, tok))
    assert not stack and depth == 0, "unbalanced braces or parentheses"
    return root


def literal(tok: str) -> str:
    for q in ("'''", '"""', "'", '"'):
        if tok.startswith(q) and tok.endswith(q):
            return tok[len(q) : -len(q)]
    return tok


def shell_steps(block: Block) -> list[str]:
    """The ``sh '''...'''`` scripts in a block and its blocks (Groovy's triple single quotes: no interpolation)."""
    return [literal(tok) for b in block.walk() for kind, tok in b.strings if kind == "tq"]


@pytest.fixture(scope="module")
def text() -> str:
    return JENKINSFILE.read_text()


@pytest.fixture(scope="module")
def pipeline(text: str) -> Block:
    [pipeline] = parse(text).find("pipeline")
    return pipeline


def stages(pipeline: Block) -> dict[str, Block]:
    out = {}
    for b in pipeline.find("stage"):
        names = [literal(t) for k, t in b.args if k in ("sq", "dq")]
        out[names[0]] = b
    return out


def param_default(text: str, name: str) -> str:
    m = re.search(rf"string\(name: '{name}', defaultValue: '([^']*)'", text)
    assert m, name
    return m.group(1)


def test_declarative_pipeline_shape(pipeline, text):
    assert {b.name for b in pipeline.children} >= {"agent", "options", "parameters", "stages", "post"}
    assert list(stages(pipeline)) == ["Setup", "Refresh"]
    assert "disableConcurrentBuilds()" in text, "two refreshes would share the workspace server and UAT"
    assert parse_databases(param_default(text, "DATABASES")) == list(DATABASES)
    assert re.search(r"booleanParam\(name: 'REFRESH_UAT', defaultValue: true", text)


def test_secrets_come_from_jenkins_credentials_only(pipeline, text):
    [bind] = pipeline.find("withCredentials")
    bound = re.findall(r"(?:variable|passwordVariable|usernameVariable)\s*:\s*'([A-Z_]+)'", " ".join(t for _, t in bind.args))
    assert set(SECRET_VARS) <= set(bound)
    assert re.findall(r"credentialsId: '([a-z-]+)'", text) == ["amrit-anon-key", "amrit-source-db", "amrit-workspace-db", "amrit-uat-db"]
    toks = tokens(text)
    for (kind, tok), (_, nxt), (_, value) in zip(toks, toks[1:], toks[2:]):
        if kind == "word" and SECRET_NAME.search(tok) and nxt == "=":
            assert value == "credentials", f"{tok} must come from credentials('<id>'), not {value}"
    for kind, tok in toks:
        if kind in ("sq", "dq", "tq", "tdq"):
            body = literal(tok)
            # no literal assigned to a secret, and no Groovy interpolation that would put one in a script
            assert not re.search(r"(PASSWORD|_KEY|TOKEN|SECRET)\w*\s*=\s*\S", body), body
            if kind in ("dq", "tdq"):
                assert "$" not in body, f"Groovy would interpolate: {body}"
    for script in shell_steps(pipeline):
        assert not re.search(r"set\s+-[a-z]*x", script), "xtrace would print expanded commands"
        for line in script.splitlines():
            if re.match(r"\s*(echo|printf)\b", line):
                assert "AMRIT_" not in line and "$" not in line, line
    # the Refresh stage's sh is inside the credential binding, nowhere else are secrets in scope
    assert stages(pipeline)["Refresh"].find("withCredentials") == [bind]


def test_it_archives_the_audit_the_cli_writes(pipeline):
    refresh = shell_steps(stages(pipeline)["Refresh"])
    [script] = refresh
    assert '--audit-dir "$WORKSPACE/audit"' in script
    [post] = pipeline.find("post")
    [always] = post.find("always")
    assert any(literal(t) == "audit/*" for _, t in always.strings)


def test_every_shell_step_is_valid_bash(pipeline):
    for script in shell_steps(pipeline):
        subprocess.run(["bash", "-n", "-c", script], check=True)


@pytest.mark.parametrize("refresh_uat", ["true", "false"])
def test_the_refresh_step_runs_the_cli_command_with_parsed_arguments(pipeline, text, tmp_path, refresh_uat):
    """Run the Refresh stage's script with bash as Jenkins would, without the credentials bound: the CLI
    parses the arguments built from the parameters (a usage error would say ``Usage:``) and refuses."""
    [script] = shell_steps(stages(pipeline)["Refresh"])
    script = script.replace(".venv/bin/amrit-anon", f"{Path(sys.executable).parent}/amrit-anon")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMRIT_")}
    env.update(WORKSPACE=str(tmp_path), DATABASES=param_default(text, "DATABASES"), REFRESH_UAT=refresh_uat, DAGSTER_HOME=str(tmp_path))
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "usage:" not in done.stderr.lower()
    assert done.stderr.strip().splitlines()[-1].startswith("amrit-anon refresh: refused: no anonymization key")


GROOVY_PARSE = "new GroovyShell().parse(new File(args[0]))"


@pytest.mark.skipif(not shutil.which("groovy") or not shutil.which("java"), reason="groovy (Debian: groovy) not installed")
def test_groovy_parses_it(tmp_path):
    """Jenkins' own language (Groovy 2.4 on Jenkins, as on Debian) compiles the file; declarative rules need Jenkins."""
    script = tmp_path / "parse.groovy"
    script.write_text(GROOVY_PARSE + "\n")
    java_home = Path(os.path.realpath(shutil.which("java"))).parent.parent
    env = {**os.environ, "JAVA_HOME": os.environ.get("JAVA_HOME") or str(java_home)}
    done = subprocess.run(["groovy", str(script), str(JENKINSFILE)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
