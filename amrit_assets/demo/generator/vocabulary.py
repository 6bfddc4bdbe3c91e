"""Fixed vocabularies: staff roles, visit categories, complaints, drugs, banks, curated master rows."""

from __future__ import annotations

from collections.abc import Sequence

# Curated rows for the master tables the filled tables reference (column -> values, one per row);
# other referenced masters get a few generic rows.
STAFF_ROLES: tuple[tuple[str, int], ...] = (
    ("Admin", 1),
    ("Registrar", 4),
    ("Staff Nurse", 6),
    ("Medical Officer", 6),
    ("Pharmacist", 3),
    ("Lab Technician", 3),
    ("ANM", 8),
    ("ASHA", 9),
    ("Health Advisory Officer", 5),
    ("Counsellor", 3),
)
VISIT_CATEGORIES = (
    "General OPD",
    "ANC",
    "PNC",
    "NCD screening",
    "NCD care",
    "Neonatal and Infant Health Care Services",
    "FP & Contraceptive Services",
    "COVID-19 Screening",
)
COMPLAINTS = (
    "Fever", "Cough", "Headache", "Body ache", "Abdominal pain", "Vomiting", "Loose motions",
    "Breathlessness", "Chest pain", "Joint pain", "Burning micturition", "Weakness", "Dizziness",
    "Skin rash", "Back pain", "Cold", "Sore throat", "Swelling of feet", "Ear pain", "Toothache",
)  # fmt: skip
DIAGNOSES = (
    "Acute upper respiratory infection", "Essential hypertension", "Type 2 diabetes mellitus",
    "Iron deficiency anaemia", "Acute gastroenteritis", "Viral fever", "Urinary tract infection",
    "Osteoarthritis of knee", "Allergic rhinitis", "Acid peptic disease", "Scabies",
    "Lower back pain", "Dental caries", "Pregnancy, normal", "Bronchial asthma",
)  # fmt: skip
DRUGS = (
    ("Paracetamol", "500 mg", "Tablet"), ("Amoxicillin", "500 mg", "Capsule"), ("Metformin", "500 mg", "Tablet"),
    ("Amlodipine", "5 mg", "Tablet"), ("Oral Rehydration Salts", "20.5 g", "Powder"),
    ("Iron and Folic Acid", "100 mg", "Tablet"), ("Cetirizine", "10 mg", "Tablet"),
    ("Omeprazole", "20 mg", "Capsule"), ("Albendazole", "400 mg", "Tablet"), ("Calcium Carbonate", "500 mg", "Tablet"),
    ("Azithromycin", "500 mg", "Tablet"), ("Ibuprofen", "400 mg", "Tablet"), ("Salbutamol", "4 mg", "Tablet"),
)  # fmt: skip
LAB_TESTS = ("Haemoglobin", "Random Blood Sugar", "Urine Albumin", "Malaria RDT", "HIV", "VDRL", "Blood Grouping",
             "Urine Pregnancy Test", "Lipid Profile", "Serum Creatinine")  # fmt: skip
BANKS = (
    ("State Bank of India", "SBIN"), ("Punjab National Bank", "PUNB"), ("Bank of Baroda", "BARB"),
    ("Canara Bank", "CNRB"), ("Union Bank of India", "UBIN"), ("Bank of India", "BKID"),
    ("Indian Overseas Bank", "IOBA"), ("UCO Bank", "UCBA"), ("Central Bank of India", "CBIN"),
    ("Indian Bank", "IDIB"), ("HDFC Bank", "HDFC"), ("ICICI Bank", "ICIC"), ("Axis Bank", "UTIB"),
    ("Assam Gramin Vikash Bank", "UTBI"), ("Karnataka Gramin Bank", "PKGB"),
)  # fmt: skip

MASTER_VALUES: dict[str, dict[str, Sequence[str]]] = {
    "m_gender": {"GenderName": ("Male", "Female", "Transgender")},
    "m_title": {"TitleName": ("Mr", "Mrs", "Ms", "Dr", "Baby", "Master"), "TitleDesc": ("Mister", "Missus", "Miss", "Doctor", "Baby", "Master")},
    "m_maritalstatus": {"Status": ("Unmarried", "Married", "Divorced", "Separated", "Widow", "Widower")},
    "m_country": {"CountryName": ("India",), "CountryCode": ("IN",), "Continent": ("Asia",)},
    "m_designation": {"DesignationName": tuple(r for r, _ in STAFF_ROLES)},
    "m_userqualification": {"Name": ("MBA", "BSc Nursing", "MBBS", "D.Pharm", "DMLT", "ANM", "10th Pass", "MSW", "BA", "MSc")},
    "m_servicemaster": {"ServiceName": ("MMU", "104", "1097", "TM", "MCTS", "HWC", "ECD", "FLW")},
    "m_visitcategory": {"visitcategory": VISIT_CATEGORIES, "VisitCategoryDesc": VISIT_CATEGORIES},
    "m_visitreason": {"VisitReason": ("New Chief Complaint", "Follow Up", "Screening", "Referral")},
    "m_calltype": {
        "CallGroupType": ("Valid", "Valid", "Invalid", "Invalid", "Wrong Number", "Transfer"),
        "CallType": ("Information", "Counselling", "Silent Call", "Disconnected", "Wrong Number", "Transfer"),
    },
    "m_chiefcomplaint": {"ChiefComplaint": COMPLAINTS, "ChiefComplaintDesc": COMPLAINTS},
    "m_procedure": {"ProcedureName": LAB_TESTS, "ProcedureDesc": LAB_TESTS, "ProcedureType": ("Laboratory",) * len(LAB_TESTS)},
    "m_status": {"Status": ("New", "Active", "InActive", "Closed", "Open")},
    "m_severity": {"SeverityTypeName": ("Low", "Medium", "High", "Critical")},
    "m_feedbacktype": {"FeedbackTypeName": ("Complaint", "Appreciation", "Suggestion", "Grievance")},
    "m_feedbackstatus": {"FeedbackStatus": ("Open", "In Progress", "Closed", "Reopened")},
    "m_emailstatus": {"EmailStatus": ("New", "Sent", "Failed")},
    "m_bpanddiabeticstatus": {"BPAndDiabeticStatus": ("Normal", "Pre-Hypertension", "Hypertension Stage 1", "Hypertension Stage 2", "Diabetic", "Non Diabetic")},
}  # fmt: skip
_WORDS = ("Normal", "Yes", "No", "Completed", "Pending", "Active", "Not Applicable", "Mild", "Moderate", "Regular",
          "Present", "Absent", "Negative", "Positive", "Done", "Not Done", "Nil", "Others")  # fmt: skip
_PHRASES = ("Within normal limits", "Advised follow up", "Referred to higher centre", "Counselling done",
            "Not willing", "Information provided")  # fmt: skip
