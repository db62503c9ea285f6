"""Every Vietnamese sentence a citizen reads. Logic modules import from here only.

Formatting helpers take plain values (no ORM objects) so the texts stay
reviewable by someone who does not read Python.
"""
from __future__ import annotations

# --- buttons -------------------------------------------------------------------
BTN_CONSENT = "✅ Tôi đồng ý"
BTN_ANONYMOUS = "🕶 Đồng ý, gửi ẩn danh"
BTN_MY_TICKETS = "📋 Phiếu của tôi"
BTN_OTHER_TOPIC = "Khác"
BTN_REOPEN = "↩️ Chưa hài lòng, mở lại"
BTN_VIEW = "Xem {code}"

# The platform will deliver the update again (it was not acknowledged): nothing is lost.
GENERIC_ERROR = "Xin lỗi, hệ thống đang gặp sự cố. Phản ánh của bạn chưa bị mất; xin chờ ít phút."
# The update could not be processed and was dropped: the person must send it again.
PROCESSING_FAILED = "Xin lỗi, hệ thống không xử lý được tin nhắn vừa rồi. Xin bạn gửi lại nội dung."


def greeting(retention_days: int) -> str:
    return (
        "Xin chào! Đây là kênh tiếp nhận phản ánh, kiến nghị của người dân tỉnh Cà Mau.\n\n"
        "Bạn chỉ cần nhắn nội dung (có thể kèm ảnh, vị trí). Hệ thống sẽ cấp ngay một mã phiếu, "
        "chuyển đến đơn vị có trách nhiệm và báo cho bạn hạn trả lời.\n\n"
        "Về dữ liệu của bạn: nội dung, ảnh và tên hiển thị được chuyển cho đơn vị xử lý; "
        "các tổ chức phối hợp (Mặt trận, hội, đoàn thể) chỉ thấy nội dung, không thấy danh tính. "
        f"Dữ liệu được lưu {retention_days} ngày để theo dõi, giám sát rồi xóa.\n"
        "Nếu chọn gửi ẩn danh, đơn vị xử lý cũng không thấy tên hay số điện thoại của bạn.\n\n"
        "Bấm một nút bên dưới để đồng ý và bắt đầu."
    )


CONSENT_THANKS = "Cảm ơn bạn. Mời bạn nhắn nội dung phản ánh, kiến nghị."
CONSENT_THANKS_ANONYMOUS = "Cảm ơn bạn. Phản ánh của bạn sẽ được gửi ẩn danh. Mời bạn nhắn nội dung."
CONSENT_FIRST = "Trước khi gửi phản ánh, xin bạn đọc và đồng ý với cách hệ thống sử dụng dữ liệu:"
PENDING_KEPT = "Nội dung bạn vừa gửi đã được giữ lại và sẽ được gửi đi ngay khi bạn đồng ý."

EMPTY = "Tin nhắn chưa có nội dung. Xin bạn mô tả sự việc bằng chữ (có thể kèm ảnh, vị trí)."
NO_TEXT = "Hệ thống chưa đọc được nội dung từ biểu tượng cảm xúc. Xin bạn mô tả sự việc bằng chữ."
FOREIGN = ("Hiện hệ thống chỉ tiếp nhận phản ánh bằng tiếng Việt. Xin bạn viết lại bằng tiếng Việt.\n"
           "(Vietnamese only, please.)")
UNSUPPORTED = ("Hệ thống chưa xử lý được {what}. Xin bạn nhắn nội dung bằng chữ; "
               "có thể gửi kèm ảnh hoặc vị trí.")
UNSUPPORTED_NAMES = {
    "sticker": "nhãn dán (sticker)", "voice": "tin nhắn thoại", "audio": "tệp âm thanh",
    "video": "video", "video_note": "video", "document": "tệp đính kèm", "animation": "ảnh động",
    "contact": "danh bạ", "poll": "bình chọn",
}
UNSUPPORTED_DEFAULT = "loại tin nhắn này"


def too_long(limit: int) -> str:
    return f"Nội dung quá dài (tối đa {limit} ký tự). Xin bạn tóm tắt lại hoặc chia thành nhiều phần."


def daily_limit(limit: int) -> str:
    return (f"Hôm nay bạn đã gửi {limit} phản ánh, là mức tối đa trong một ngày. "
            "Xin bạn gửi tiếp vào ngày mai; các phiếu đã gửi vẫn đang được xử lý.")


def photos_added(code: str) -> str:
    return f"Đã thêm ảnh vào phiếu {code}."


ATTACHMENT_KEPT = "Đã nhận ảnh/vị trí. Xin bạn nhắn thêm nội dung mô tả sự việc để hoàn tất phản ánh."


def filed(code: str, unit_name: str, due: str) -> str:
    return (f"Đã tiếp nhận phản ánh của bạn.\nMã phiếu: {code}\n"
            f"Đơn vị xử lý: {unit_name}\nHạn trả lời: {due}\n"
            f"Tra cứu bất cứ lúc nào: /tracuu {code}")


URGENT = ("⚠️ Nếu có nguy hiểm đến tính mạng, tài sản, xin gọi ngay:\n"
          "113 – Công an · 114 – Cứu nạn, cứu hộ, chữa cháy · 115 – Cấp cứu y tế.\n"
          "Đơn vị xử lý đã được báo khẩn.")
ASK_TOPIC = "Để chuyển đúng nơi, xin bạn chọn lĩnh vực phù hợp nhất với phản ánh:"
ASK_PLACE = "Địa danh bạn nêu nay thuộc nhiều xã/phường. Xin chọn nơi xảy ra sự việc:"


def rerouted(code: str, unit_name: str) -> str:
    return f"Phiếu {code} đã được chuyển đến: {unit_name}. Cảm ơn bạn."


def taken(code: str, unit_name: str) -> str:
    return f"Phiếu {code}: {unit_name} đã nhận xử lý."


def info_requested(code: str, unit_name: str, question: str) -> str:
    return (f"Phiếu {code}: {unit_name} đề nghị bạn bổ sung thông tin:\n«{question}»\n"
            "Tin nhắn tiếp theo của bạn sẽ được bổ sung vào phiếu này.")


def info_added(code: str) -> str:
    return f"Đã bổ sung thông tin vào phiếu {code}. Cảm ơn bạn."


def transferred(code: str, unit_name: str) -> str:
    return f"Phiếu {code} đã được chuyển đến {unit_name} để xử lý đúng thẩm quyền."


def answered(code: str, unit_name: str, answer: str) -> str:
    return (f"Phiếu {code}: {unit_name} trả lời:\n\n{answer}\n\n"
            "Bạn đánh giá câu trả lời thế nào? (1 = rất không hài lòng, 5 = rất hài lòng)")


def rejected(code: str, unit_name: str, reason: str) -> str:
    return f"Phiếu {code}: {unit_name} không tiếp nhận xử lý. Lý do: {reason}"


def rated(code: str, rating: int) -> str:
    return f"Cảm ơn bạn đã đánh giá phiếu {code}: {rating}/5."


RATED_LOW = "Nếu chưa hài lòng, bạn có thể mở lại phiếu một lần, kèm lý do."
ASK_REOPEN_REASON = "Xin bạn cho biết lý do chưa hài lòng (tin nhắn tiếp theo):"


def reopened(code: str) -> str:
    return f"Phiếu {code} đã được mở lại và chuyển lại cho đơn vị xử lý."


REOPEN_USED = "Phiếu này đã được mở lại một lần; không thể mở lại thêm."
STALE = "Thao tác này không còn hiệu lực (phiếu đã thay đổi). Không có gì được thay đổi."
NOT_YOURS = "Không tìm thấy phiếu này trong các phiếu của bạn."
NOT_ALLOWED = "Bạn không có quyền thực hiện thao tác này."
TRACK_USAGE = "Cú pháp: /tracuu MÃ_PHIẾU (ví dụ /tracuu CM-7K3P9X)."
NO_TICKETS = "Bạn chưa gửi phản ánh nào."
MY_TICKETS_HEADER = "Các phiếu của bạn:"
HISTORY_HEADER = "Diễn biến:"

STATE_NAMES = {
    "new": "Chờ tiếp nhận", "in_progress": "Đang xử lý", "needs_info": "Chờ bổ sung thông tin",
    "answered": "Đã trả lời", "rejected": "Không tiếp nhận", "reopened": "Mở lại", "closed": "Đã đóng",
}
EVENT_NAMES = {
    "filed": "Tiếp nhận", "topic_set": "Chọn lĩnh vực", "place_set": "Chọn địa bàn", "taken": "Nhận xử lý",
    "info_requested": "Yêu cầu bổ sung", "info_added": "Bổ sung thông tin", "photos_added": "Gửi thêm ảnh", "transferred": "Chuyển đơn vị",
    "answered": "Trả lời", "rejected": "Từ chối", "rated": "Đánh giá", "reopened": "Mở lại",
    "opinion_added": "Ý kiến phối hợp",
}


def ticket_line(code: str, state: str, due: str) -> str:
    return f"• {code} – {STATE_NAMES.get(state, state)} – hạn {due}"


def ticket_status(code: str, state: str, unit_name: str, due: str, text: str) -> str:
    return (f"Phiếu {code}\nTrạng thái: {STATE_NAMES.get(state, state)}\n"
            f"Đơn vị xử lý: {unit_name}\nHạn trả lời: {due}\nNội dung: {text}")


def history_line(at: str, event: str) -> str:
    return f"  {at} – {EVENT_NAMES.get(event, event)}"
