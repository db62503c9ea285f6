"""Every Vietnamese text of the scheduler: reminders, digests, /nopbaocao, the CLI's answers."""
from __future__ import annotations

# --- ticket reminders (to the lead unit) ------------------------------------------------
LATE_PREFIX = "⏰ (Nhắc muộn do hệ thống tạm ngừng) "
TICKET_TAKE = "📌 Phiếu {code} chưa được nhận xử lý; hạn nhận là {take}. Hạn trả lời: {due}.\nNội dung: {text}"
TICKET_BEFORE = "🔔 Phiếu {code} còn {days} ngày làm việc đến hạn trả lời ({due}).\nNội dung: {text}"
TICKET_DUE = "🔔 Hôm nay ({due}) là hạn trả lời phiếu {code}.\nNội dung: {text}"
TICKET_OVERDUE = "❗ Phiếu {code} đã QUÁ HẠN trả lời từ {due} ({days} ngày làm việc).\nNội dung: {text}"
OVERSEER_LATE = "❗ Giám sát: phiếu {code} do {unit} xử lý đã quá hạn trả lời ({due})."
CITIZEN_LATE = ("Phiếu {code} của ông/bà đã quá hạn trả lời ({due}). Đơn vị chịu trách nhiệm: {unit}. "
                "Ủy ban MTTQ tỉnh đã được thông báo để giám sát. Xin lỗi ông/bà vì sự chậm trễ.")

# --- reporting duties -------------------------------------------------------------------
DUTY_BEFORE = ("🔔 {title} ({period}) của {unit}: hạn nộp {due} (còn {days} ngày làm việc).\n"
               "Gửi /nopbaocao kèm tệp báo cáo (hoặc số văn bản) để nộp.")
DUTY_DUE = "🔔 Hôm nay ({due}) là hạn nộp {title} ({period}) của {unit}. Gửi /nopbaocao để nộp."
DUTY_OVERDUE = "❗ {title} ({period}) của {unit} đã QUÁ HẠN nộp từ {due}. Gửi /nopbaocao để nộp ngay."
DUTY_STATS_NOTE = "Số liệu phiếu phản ánh của đơn vị cho kỳ này được đính kèm: {file}"

DIGEST_DUTY_HEAD = "📋 {title} ({period}) — hạn {due}. {when}\n"
DIGEST_DUTY_BEFORE = "Trước hạn."
DIGEST_DUTY_AFTER = "Sau hạn."
DIGEST_DUTY_COUNTS = "Đã nộp: {done} (trễ: {late}) · Chưa nộp: {missing}"
DIGEST_DUTY_MISSING = "Chưa nộp:"
DIGEST_DUTY_LATE = "Nộp trễ:"
DIGEST_MORE = "… và {n} đơn vị khác"

# --- the Front's daily digest -----------------------------------------------------------
FRONT_DIGEST_HEAD = "📰 Tổng hợp phiếu phản ánh từ {since} đến {until}"
FRONT_DIGEST_COUNTS = "Mới: {new} · Đã trả lời: {answered} · Đang quá hạn: {overdue}"
FRONT_DIGEST_NEW = "Phiếu mới:"
FRONT_DIGEST_ANSWERED = "Đã trả lời:"
FRONT_DIGEST_OVERDUE = "Quá hạn:"
FRONT_DIGEST_LINE = "• {code} — {unit} — hạn {due}"
FRONT_DIGEST_HINT = "Bấm mã phiếu bên dưới (hoặc gửi /phieu MÃ) để xem chi tiết một phiếu."

# --- /nopbaocao -------------------------------------------------------------------------
SUBMIT_NOT_OFFICIAL = "Chỉ cán bộ đã đăng ký của một đơn vị mới nộp được báo cáo."
SUBMIT_NOTHING_OPEN = "Đơn vị {unit} hiện không có báo cáo nào cần nộp."
SUBMIT_ASK = ("Đơn vị {unit} có các báo cáo cần nộp:\n{items}\n"
              "Gửi tệp báo cáo (kèm /nopbaocao SỐ trong chú thích nếu có nhiều báo cáo), "
              "hoặc gõ: /nopbaocao SỐ số-văn-bản")
SUBMIT_ITEM = "{n}. {title} ({period}) — hạn {due}"
SUBMIT_WAIT_FILE = "Xin gửi tệp báo cáo {title} ({period}) hoặc số văn bản."
SUBMIT_BAD_NUMBER = "Số thứ tự không đúng. Gửi /nopbaocao để xem danh sách."
SUBMIT_OK = "✅ Đã ghi nhận {title} ({period}) của {unit} lúc {at}."
SUBMIT_OK_LATE = "✅ Đã ghi nhận {title} ({period}) của {unit} lúc {at} (NỘP TRỄ so với hạn {due})."
SUBMIT_NOTICE = "📥 {unit} đã nộp {title} ({period}) lúc {at}{late}. {what}"
SUBMIT_NOTICE_LATE = " — nộp trễ"
SUBMIT_WHAT_FILE = "Tệp: {name}"
SUBMIT_WHAT_DOC = "Số văn bản: {doc}"

# --- CLI --------------------------------------------------------------------------------
CAL_WORKING = "{date} ({weekday}) là ngày làm việc."
CAL_OFF = "{date} ({weekday}) là ngày nghỉ: {why}."
CAL_WEEKEND = "cuối tuần"
CAL_MAKEUP = "{date} ({weekday}) là ngày làm việc (làm bù: {name})."
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
HOLIDAY_NAMES = {  # the `holidays` package's English names -> Vietnamese
    "New Year's Day": "Tết Dương lịch",
    "29 of Lunar New Year": "Tết Nguyên đán (29 tháng Chạp)",
    "Lunar New Year's Eve": "Tết Nguyên đán (Giao thừa)",
    "Lunar New Year": "Tết Nguyên đán (Mùng 1)",
    "Second Day of Lunar New Year": "Tết Nguyên đán (Mùng 2)",
    "Third Day of Lunar New Year": "Tết Nguyên đán (Mùng 3)",
    "Fourth Day of Lunar New Year": "Tết Nguyên đán (Mùng 4)",
    "Fifth Day of Lunar New Year": "Tết Nguyên đán (Mùng 5)",
    "Hung Kings' Commemoration Day": "Giỗ Tổ Hùng Vương",
    "Liberation Day/Reunification Day": "Ngày Giải phóng miền Nam, thống nhất đất nước (30/4)",
    "International Labor Day": "Ngày Quốc tế Lao động (1/5)",
    "National Day": "Quốc khánh (2/9)",
    "Vietnam Cultural Day": "Ngày Văn hóa Việt Nam (24/11)",
}
OBSERVED = " (nghỉ bù)"
SUBSTITUTED = "Ngày nghỉ hoán đổi"


def holiday_name(name: str) -> str:
    """The Vietnamese name of a holiday from the package (config names are already Vietnamese)."""
    if name.endswith(" (observed)"):
        return holiday_name(name[: -len(" (observed)")]) + OBSERVED
    if name.startswith("Day off (substituted"):
        return SUBSTITUTED
    return HOLIDAY_NAMES.get(name, name)

# --- report statistics (CLI table and XLSX) ---------------------------------------------
STATS_TITLE_UNIT = "Thống kê phiếu phản ánh — {unit} — kỳ {period} ({first} – {last})"
STATS_TITLE_PROVINCE = "Thống kê phiếu phản ánh toàn tỉnh — kỳ {period} ({first} – {last})"
STATS_HEADER = ("Đơn vị", "Tiếp nhận", "Đã nhận xử lý", "Đã trả lời", "Trả lời đúng hạn", "Quá hạn (chưa trả lời)",
                "Lượt đánh giá", "Điểm trung bình", "Hài lòng (4–5 sao)")
STATS_TOTAL = "Tổng cộng"
STATS_SHEET_SUMMARY = "Tổng hợp"
STATS_SHEET_CATEGORY = "Theo lĩnh vực"
STATS_SHEET_KIND = "Theo loại"
STATS_CATEGORY_HEADER = ("Lĩnh vực", "Số phiếu")
STATS_KIND_HEADER = ("Loại", "Số phiếu")
STATS_WRITTEN = "Đã ghi tệp: {path}"
STATS_BAD_PERIOD = "Kỳ không hợp lệ: {error}"
STATS_BAD_UNIT = "Không có đơn vị {unit}."
SUBMIT_BUTTON = "{n}. {title} ({period})"
SUBMIT_PICK = "Đơn vị {unit} có các báo cáo cần nộp:\n{items}\nChọn báo cáo muốn nộp:"
SUBMIT_NOT_YOURS = "Báo cáo này không thuộc đơn vị của đồng chí."
SUBMIT_EMPTY = "Xin gửi tệp báo cáo (dạng tệp đính kèm) hoặc gõ số văn bản (gõ /huy để thôi)."
SUBMIT_CANCELLED = "Đã hủy việc nộp báo cáo."
SUBMIT_STORED = "Đã lưu tệp báo cáo: {name}"
