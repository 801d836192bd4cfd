"""Vietnamese names of the codes a report shows (groups, indicators, statuses, findings).

Group and indicator names repeat the seeds `indicator_groups` and `indicator_catalog` (the
marts carry codes only); the maxima are never repeated here: reports read them from
`marts.fct_indicator`.
"""

GROUPS: dict[str, str] = {
    "TRANSPARENCY": "Công khai, minh bạch",
    "PROGRESS": "Tiến độ giải quyết",
    "ONLINE": "Dịch vụ công trực tuyến",
    "PAYMENT": "Thanh toán trực tuyến",
    "SATISFACTION": "Mức độ hài lòng",
    "DIGITIZATION": "Số hóa hồ sơ",
}

# The scorecard's column of each group (marts.unit_scorecard).
GROUP_COLUMNS: dict[str, str] = {
    "TRANSPARENCY": "transparency",
    "PROGRESS": "progress",
    "ONLINE": "online",
    "PAYMENT": "payment",
    "SATISFACTION": "satisfaction",
    "DIGITIZATION": "digitization",
}

INDICATORS: dict[str, str] = {
    "PUBLISH_ON_TIME": "Công bố TTHC đúng hạn",
    "PUBLIC_UPDATE_ON_TIME": "Công khai TTHC trên CSDL quốc gia đúng hạn",
    "PUBLIC_CONTENT_FULL": "Công khai đầy đủ nội dung TTHC",
    "DOSSIER_SYNC": "Đồng bộ hồ sơ lên Cổng DVC quốc gia",
    "PROGRESS_ON_TIME": "Hồ sơ giải quyết đúng hạn",
    "ONLINE_TTHC_PROVIDED": "TTHC cung cấp dịch vụ công trực tuyến",
    "ONLINE_SERVICE_WITH_DOSSIERS": "Dịch vụ công trực tuyến phát sinh hồ sơ",
    "ONLINE_DOSSIER_SHARE": "Tỷ lệ hồ sơ trực tuyến",
    "PAYMENT_DOSSIER_ONLINE": "Hồ sơ thanh toán trực tuyến",
    "PAYMENT_TTHC_WITH_ONLINE_PAYMENT": "TTHC phát sinh thanh toán trực tuyến",
    "PAYMENT_TTHC_INTEGRATED": "TTHC tích hợp thanh toán trực tuyến",
    "PETITION_PROCESSING_ON_TIME": "Xử lý phản ánh kiến nghị đúng hạn",
    "PETITION_HANDLING_SATISFACTION": "Mức độ hài lòng xử lý phản ánh kiến nghị",
    "DOSSIER_RECEIVING_SATISFACTION": "Mức độ hài lòng tiếp nhận và giải quyết hồ sơ",
    "ORIGINAL_RESULT_AVAILABLE": "Kết quả giải quyết TTHC điện tử",
    "SO_HOA_GIAY_TO_GIAI_QUYET": "Số hóa hồ sơ và kết quả giải quyết",
    "ELECTRONIC_CERTIFIED_COPY": "Chứng thực bản sao điện tử từ bản chính",
    "REUSED_DIGITIZED_DATA": "Tái sử dụng dữ liệu số hóa",
    "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": "Đồng bộ kho quản lý dữ liệu điện tử cá nhân",
    "CITIZEN_DATA_CONNECTED_DOSSIER": "Hồ sơ khai thác dữ liệu dân cư",
    "CITIZEN_DATA_CONNECTED_FORMALITY": "TTHC khai thác dữ liệu dân cư",
}

FLAGS: dict[str, str] = {
    "ok": "Tính toán",
    "no_activity": "Không phát sinh",
    "official": "Số liệu chính thức",
    "no_source": "Chưa có số liệu chính thức",
}

ROLLUPS: dict[str, str] = {
    "SELF": "Đơn vị",
    "SUBTREE": "Gồm đơn vị trực thuộc",
    "AREA": "Toàn địa bàn",
}

LEVELS: dict[str, str] = {
    "PROVINCE": "Tỉnh",
    "TOWN": "Thị xã",
    "TOWN_DEPT": "Phòng, ban thị xã",
    "WARD": "Phường",
    "COMMUNE": "Xã",
    "WARD_DEPT": "Phòng, ban phường",
    "AREA": "Địa bàn",
}

PROGRESS_STATUSES: dict[str, str] = {
    "EARLY": "Trước hạn",
    "ON_TIME": "Đúng hạn",
    "LATE": "Quá hạn",
    "IN_PROGRESS_WITHIN_DUE": "Đang giải quyết trong hạn",
    "IN_PROGRESS_OVERDUE": "Đang giải quyết quá hạn",
    "NOT_RECEIVED": "Chưa tiếp nhận",
    "EXCLUDED": "Không tính",
}

CHANNELS: dict[int, str] = {1: "Trực tiếp", 2: "Trực tuyến", 3: "Bưu chính công ích"}

FINDINGS: dict[str, str] = {
    "LATE_WITHOUT_APOLOGY": "Quá hạn chưa có văn bản xin lỗi",
    "RESCHEDULED_MORE_THAN_ONCE": "Hẹn lại quá một lần",
    "REFUSED_WITHOUT_WRITTEN_REASON": "Từ chối, dừng xử lý không nêu lý do bằng văn bản",
    "PAUSED_WITHOUT_EXPLANATION": "Tạm dừng không giải thích hoặc không liên hệ công dân",
    "MULTIPLE_SUPPLEMENT_REQUESTS": "Yêu cầu bổ sung hồ sơ nhiều lần",
    "RESULT_NOT_DELIVERED_ON_PAPER": "Chưa chuyển kết quả bản giấy ra Bộ phận Một cửa",
    "NOT_SYNCED": "Chưa đồng bộ lên Cổng DVC quốc gia",
    "STATUS_OUT_OF_SYNC": "Trạng thái lệch với Cổng DVC quốc gia",
    "NOT_DIGITIZED": "Chưa số hóa thành phần hồ sơ",
    "HIDDEN_EXTENSION": "Ngày hẹn trả dài hơn thời hạn quy định",
}


def label(names: dict, code) -> str:
    """The Vietnamese name of a code, or the code itself when it is new to this module."""
    if code is None:
        return ""
    return names.get(code, str(code))
