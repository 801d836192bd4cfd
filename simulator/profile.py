"""Every tunable rate, share and volume of the simulated world, in one place.

The simulator's behaviour is data: to make the world busier, lazier, more digital or more
late, change a constant here. Shares are probabilities in [0, 1]; times are in the unit named
by the constant. Nothing here is a scoring rule of the index (those live in the warehouse).
"""

from __future__ import annotations

import datetime as dt

# --- identity, key layout -------------------------------------------------------------
PROVINCE_CODE = "000.00.00.H31"
REORG_DATE = dt.date(2025, 7, 1)
KEY_EPOCH = dt.date(2023, 1, 1)  # day 0 of the dossier key's day field
KEY_UNIT_BITS, KEY_DAY_BITS, KEY_SEQ_BITS = 8, 16, 20  # packed into one 44-bit key

# --- volume -----------------------------------------------------------------------------
# Dossiers a month over the whole Mỹ Hào area at scale 1 (domain.md §5: 50-60 k a year).
AREA_MONTHLY_DOSSIERS = 4600
# Yearly growth of the demand (compounded from 2024-01).
YEARLY_GROWTH = 0.04
# Calendar-month factors (Tết falls in Jan/Feb, year-end rush in Nov/Dec).
MONTH_FACTOR = {
    1: 0.95,
    2: 0.72,
    3: 1.0,
    4: 0.98,
    5: 1.0,
    6: 1.02,
    7: 1.0,
    8: 0.97,
    9: 1.0,
    10: 1.05,
    11: 1.15,
    12: 1.25,
}
# The new wards' first month after the reorganisation (≈ 3-3.5 k dossiers in a busy ward).
REORG_FIRST_MONTH_FACTOR = 1.6
# Weekday factors (Monday = 0) on working days; non-working days only get online submissions.
WEEKDAY_FACTOR = (1.25, 1.05, 1.0, 0.95, 0.9, 0.6, 0.6)
NON_WORKING_DAY_FACTOR = 0.12

# Share of the area's volume each receiving unit takes (normalised per period).
RECEPTION_SHARE_BEFORE_REORG = {
    "000.00.28.H31": 0.17,  # town one-stop counter
    "000.08.28.H31": 0.09,  # land registration branch
    "000.02.28.H31": 0.01,
    "000.05.28.H31": 0.01,
    "000.21.28.H31": 0.075,
    "000.22.28.H31": 0.06,
    "000.23.28.H31": 0.045,
    "000.24.28.H31": 0.06,
    "000.25.28.H31": 0.065,
    "000.26.28.H31": 0.05,
    "000.27.28.H31": 0.045,
    "000.28.28.H31": 0.04,
    "000.29.28.H31": 0.045,
    "000.30.28.H31": 0.04,
    "000.31.28.H31": 0.045,
    "000.32.28.H31": 0.05,
    "000.33.28.H31": 0.06,
}
RECEPTION_SHARE_AFTER_REORG = {
    "000.00.71.H31": 0.36,
    "000.00.72.H31": 0.32,
    "000.00.73.H31": 0.27,
    "000.02.71.H31": 0.02,
    "000.02.72.H31": 0.015,
    "000.02.73.H31": 0.015,
}

# --- unit performance tiers -------------------------------------------------------------
UNIT_TIER = {
    "000.23.28.H31": "weak",
    "000.29.28.H31": "weak",
    "000.08.28.H31": "weak",
    "000.00.73.H31": "weak",
    "000.21.28.H31": "strong",
    "000.33.28.H31": "strong",
    "000.00.71.H31": "strong",
}
# late: multiplier of the sector's late rate; online/digital: additive shifts of shares.
TIER = {
    "strong": {"late": 0.4, "online": 0.06, "digital": 0.05, "sync_miss": 0.5, "paper": 0.98},
    "average": {"late": 1.0, "online": 0.0, "digital": 0.0, "sync_miss": 1.0, "paper": 0.93},
    "weak": {"late": 2.0, "online": -0.12, "digital": -0.18, "sync_miss": 3.0, "paper": 0.75},
}

# --- channels and applicants -------------------------------------------------------------
ONLINE_SHARE_START = 0.55  # 2024-01
ONLINE_SHARE_END = 0.95  # 2026-12
ONLINE_SHARE_PARTIAL_FACTOR = 0.8  # PARTIAL procedures get fewer online dossiers than FULL
POSTAL_SHARE = 0.004
RESULT_BY_POST_SHARE = 0.03
APPLICANT_TYPE_WEIGHTS = {1: 0.9, 2: 0.07, 3: 0.015, 4: 0.015}
INTER_AGENCY_COPY_SHARE = 0.004

# --- reception ----------------------------------------------------------------------------
ONLINE_ACCEPT_DELAY_WORK_HOURS = 3.0  # mean delay between online submission and acceptance
REFUSED_AT_COUNTER_SHARE = 0.018
REFUSAL_WITHOUT_DOCUMENT_SHARE = 0.2
NO_APPOINTMENT_SHARE = 0.008
HIDDEN_EXTENSION_SHARE = 0.012
HIDDEN_EXTENSION_MAX_WORKING_DAYS = 3

# --- processing ---------------------------------------------------------------------------
SECTOR_LATE_SHARE = {  # share of received dossiers that finish late (average tier, 2024)
    "DAT_DAI": 0.09,
    "HO_TICH": 0.012,
    "CHUNG_THUC": 0.004,
    "KINH_DOANH": 0.03,
    "XAY_DUNG": 0.07,
    "XA_HOI": 0.03,
    "VAN_HOA": 0.02,
    "NOI_VU": 0.02,
    "MOI_TRUONG": 0.05,
    "NONG_NGHIEP": 0.03,
    "GIAO_DUC": 0.02,
    "TU_PHAP": 0.03,
}
LATE_TREND_PER_YEAR = -0.2  # relative yearly change of the late share
SECTOR_SUPPLEMENT_SHARE = {
    "DAT_DAI": 0.12,
    "HO_TICH": 0.03,
    "CHUNG_THUC": 0.0,
    "KINH_DOANH": 0.06,
    "XAY_DUNG": 0.1,
    "XA_HOI": 0.05,
    "VAN_HOA": 0.03,
    "NOI_VU": 0.03,
    "MOI_TRUONG": 0.06,
    "NONG_NGHIEP": 0.04,
    "GIAO_DUC": 0.03,
    "TU_PHAP": 0.04,
}
SECOND_SUPPLEMENT_SHARE = 0.18
SUPPLEMENT_NEVER_ANSWERED_SHARE = 0.04
SUPPLEMENT_WAIT_DAYS_MEAN = 4.0  # calendar days the citizen takes to bring the papers
SUPPLEMENT_WITHOUT_NOTE_SHARE = 0.05
FINANCIAL_SHARE_LAND = 0.45  # land procedures that wait for taxes / land use fees
FINANCIAL_WAIT_DAYS_MEAN = 3.0
CONTACT_AFTER_PAUSE_SHARE = 0.8
APOLOGY_FOR_LATE_SHARE = 0.6  # late dossiers whose apology comes before the original due
LATE_APOLOGY_SHARE = 0.15  # late dossiers whose apology comes after the due
SECOND_APOLOGY_SHARE = 0.08
WITHDRAW_SHARE = 0.008
STOP_SHARE = 0.004
STOP_WITHOUT_DOCUMENT_SHARE = 0.25
LATE_DAYS_MEAN = 4.0  # working days late, exponential
RESULT_TO_COUNTER_SHARE = 0.92  # of document results handled by a department (else missing)
RETURN_SHARE = 0.94  # of completed dossiers whose result is eventually collected
RETURN_DELAY_DAYS_MEAN = 2.5
TRANSFER_SHARE_DEPT = 0.9  # town/ward counters transfer to a department

# --- ratings ------------------------------------------------------------------------------
RATING_SHARE = 0.32
RATING_WEIGHTS = {"VERY_SATISFIED": 0.62, "SATISFIED": 0.33, "DISSATISFIED": 0.05}
RATING_DISSATISFIED_IF_LATE = 0.35
RATING_CHANNEL_WEIGHTS = {"KIOSK": 0.45, "PORTAL": 0.35, "APP": 0.2}

# --- fees and payments --------------------------------------------------------------------
FEE_EXEMPT_SHARE = 0.05
REFUND_SHARE_ON_EXIT = 0.5  # refused/withdrawn dossiers that had paid get a refund
# online dossiers paying online (national or provincial), 2024-01 -> 2026-12
PAY_ONLINE_SHARE_START, PAY_ONLINE_SHARE_END = 0.62, 0.9
PAY_NATIONAL_SHARE = 0.6  # of online payments, via the national payment platform
PAY_TRANSFER_SHARE = 0.04  # counter dossiers paying by bank transfer instead of cash

# --- digitisation and data reuse ---------------------------------------------------------
DIGITIZED_SHARE_START = 0.7  # dossiers with digitised components, 2024-01
DIGITIZED_SHARE_END = 0.96
E_RESULT_SHARE = 0.9  # completed document results with an electronic result file
SIGNED_RESULT_SHARE = 0.95
PUSH_TO_CITIZEN_STORE_SHARE = 0.55
REUSE_SHARE = 0.35
FROM_CITIZEN_STORE_SHARE = 0.25
VNEID_SHARE_ONLINE = 0.8
POPULATION_DB_SHARE = 0.7

# --- national sync (sources.md B.1) -------------------------------------------------------
NEVER_SYNCED_SHARE = 0.015
SYNC_LAG_HOURS_MEAN = 2.0
LATE_SYNC_SHARE = 0.05  # synced days later
LATE_SYNC_DAYS_MAX = 6
STALE_SYNC_SHARE = 0.03  # stops resyncing after some step: the national status lags
# A stale copy is corrected by a later catch-up sync (a new NgayDongBo carrying the whole
# record as it then stands); after it the copy follows the one-stop record again. The lag runs
# from the first step the copy missed: log-normal in calendar days (median 4 d, sigma 1: ~10 %
# past two weeks, ~2 % past a month), except a share that stays stale for months.
STALE_RESYNC_DAYS_MEDIAN = 4.0
STALE_RESYNC_SIGMA = 1.0
STALE_FOR_MONTHS_SHARE = 0.15  # of stale copies: resynced only after 60-360 days
STALE_FOR_MONTHS_DAYS = (60, 360)
NATION_CODE_DIFFERS_SHARE = 0.04
NATIONAL_FEES_MISSING_SHARE = 0.15  # national copies of fee-bearing dossiers without fee lines
NATIONAL_PORTAL_SUBMISSION_SHARE = 0.3  # online dossiers submitted through the national portal

# --- PAKN (feedback and petitions) ---------------------------------------------------------
PAKN_MONTHLY_PER_UNIT = 6.0  # at scale 1, per receiving unit
PAKN_DUE_WORKING_DAYS = 10
PAKN_ANSWER_LATE_SHARE = 0.12
PAKN_UNANSWERED_SHARE = 0.04
PAKN_LINKED_SHARE = 0.45
PAKN_STAFF_SHARE = 0.25
PAKN_RECOMPLAINT_SHARE = 0.07
PAKN_DISLIKE_HEAVY_SHARE = 0.12
