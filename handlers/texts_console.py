"""Vietnamese texts of the local terminal chat (`phananh serve` without a token)."""
from __future__ import annotations

WELCOME = (
    "=== Phản ánh – kiến nghị Cà Mau: trò chuyện thử trên máy (không cần Telegram) ===\n"
    "Bạn đang ngồi ghế NGƯỜI DÂN. Gõ nội dung để gửi; gõ số để bấm nút.\n"
    "Lệnh: /ngoi MÃ_ĐƠN_VỊ – ngồi ghế cán bộ của đơn vị (ví dụ /ngoi ubnd_32152)\n"
    "      /dan – về ghế người dân · /donvi [từ khóa] – tìm mã đơn vị · /giup · /thoat"
)
SEAT_CITIZEN = "→ Bạn đang ngồi ghế NGƯỜI DÂN."
SEAT_OFFICIAL = "→ Bạn đang ngồi ghế CÁN BỘ của {unit} (trong nhóm của đơn vị). Gõ /phieu để xem phiếu."
UNKNOWN_UNIT = "Không có đơn vị «{unit}». Gõ /donvi để xem danh sách."
UNIT_LINE = "  {id:<32} {short}"
NO_BUTTON = "Không có nút số {n} ở tin nhắn gần nhất."
TO_CITIZEN = "[gửi NGƯỜI DÂN]"
TO_GROUP = "[gửi NHÓM {unit}]"
TO_PRIVATE = "[gửi riêng {who}]"
EDITED = " (sửa thẻ)"
BYE = "Tạm biệt."
CITIZEN_NAME = "Người dân thử nghiệm"
OFFICIAL_NAME = "Cán bộ thử ({unit})"
DOCUMENT = "   📎 {name}: {path}"
