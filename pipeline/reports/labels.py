"""Vietnamese presentation text of the codes a report shows that no seed names: flags,
roll-ups, unit levels, progress statuses, channels, and the scorecard column of each group.

Names that a seed holds (groups, indicators, findings, bands) are never repeated here: the
report reads them from the warehouse (`catalogue.py`); maxima come from `marts.fct_indicator`.
"""

# The scorecard's column of each group (marts.unit_scorecard), in the portal's order.
GROUP_COLUMNS: dict[str, str] = {
    "TRANSPARENCY": "transparency",
    "PROGRESS": "progress",
    "ONLINE": "online",
    "PAYMENT": "payment",
    "SATISFACTION": "satisfaction",
    "DIGITIZATION": "digitization",
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


def label(names: dict, code) -> str:
    """The Vietnamese name of a code, or the code itself when it is new to this module."""
    if code is None:
        return ""
    return names.get(code, str(code))
