"""The label codes of the taxonomy (a fixed contract: see README, "Labels").

Every part of the project (classifier, routing, reports, evaluation) uses
exactly these codes, so they live in one module as Enums.
"""
from __future__ import annotations

from enum import StrEnum

__all__ = ["Category", "Group", "Kind", "CATEGORY_NAMES", "GROUP_NAMES", "KIND_NAMES"]


class Category(StrEnum):
    """Lĩnh vực: exactly one per message; picks the lead unit."""

    DAT_DAI = "dat_dai"
    MOI_TRUONG = "moi_truong"
    NONG_NGHIEP_THUY_SAN = "nong_nghiep_thuy_san"
    GIAO_THONG_XAY_DUNG = "giao_thong_xay_dung"
    DIEN_NUOC_VIEN_THONG = "dien_nuoc_vien_thong"
    AN_NINH_TRAT_TU = "an_ninh_trat_tu"
    Y_TE = "y_te"
    GIAO_DUC = "giao_duc"
    LAO_DONG_VIEC_LAM = "lao_dong_viec_lam"
    AN_SINH_XA_HOI = "an_sinh_xa_hoi"
    THU_TUC_HANH_CHINH = "thu_tuc_hanh_chinh"
    CAN_BO_THAM_NHUNG = "can_bo_tham_nhung"
    VAN_HOA_XA_HOI = "van_hoa_xa_hoi"
    GOP_Y_CHINH_SACH = "gop_y_chinh_sach"
    KHAC = "khac"


class Group(StrEnum):
    """Đối tượng bị ảnh hưởng: zero or more; each adds a coordinating organisation."""

    NONG_DAN = "nong_dan"
    PHU_NU = "phu_nu"
    TRE_EM = "tre_em"
    THANH_NIEN = "thanh_nien"
    CUU_CHIEN_BINH = "cuu_chien_binh"
    CONG_NHAN = "cong_nhan"
    NGUOI_CAO_TUOI = "nguoi_cao_tuoi"
    DAN_TOC_TON_GIAO = "dan_toc_ton_giao"


class Kind(StrEnum):
    """Loại: exactly one; decides what procedure follows."""

    PHAN_ANH_KIEN_NGHI = "phan_anh_kien_nghi"
    KHIEU_NAI_TO_CAO = "khieu_nai_to_cao"
    GOP_Y = "gop_y"
    HOI_DAP = "hoi_dap"


CATEGORY_NAMES: dict[Category, str] = {
    Category.DAT_DAI: "Đất đai",
    Category.MOI_TRUONG: "Môi trường",
    Category.NONG_NGHIEP_THUY_SAN: "Nông nghiệp, thủy sản, thủy lợi, phòng chống thiên tai",
    Category.GIAO_THONG_XAY_DUNG: "Giao thông, xây dựng, đô thị",
    Category.DIEN_NUOC_VIEN_THONG: "Điện, nước sạch, viễn thông",
    Category.AN_NINH_TRAT_TU: "An ninh, trật tự",
    Category.Y_TE: "Y tế",
    Category.GIAO_DUC: "Giáo dục, đào tạo",
    Category.LAO_DONG_VIEC_LAM: "Lao động, việc làm",
    Category.AN_SINH_XA_HOI: "An sinh xã hội, chính sách",
    Category.THU_TUC_HANH_CHINH: "Thủ tục hành chính, dịch vụ công",
    Category.CAN_BO_THAM_NHUNG: "Cán bộ, công chức, tham nhũng",
    Category.VAN_HOA_XA_HOI: "Văn hóa, thể thao, du lịch, dân tộc, tôn giáo",
    Category.GOP_Y_CHINH_SACH: "Góp ý xây dựng Đảng, chính quyền, chính sách",
    Category.KHAC: "Khác",
}

GROUP_NAMES: dict[Group, str] = {
    Group.NONG_DAN: "Nông dân, ngư dân",
    Group.PHU_NU: "Phụ nữ",
    Group.TRE_EM: "Trẻ em, học sinh",
    Group.THANH_NIEN: "Thanh niên",
    Group.CUU_CHIEN_BINH: "Cựu chiến binh",
    Group.CONG_NHAN: "Công nhân, người lao động",
    Group.NGUOI_CAO_TUOI: "Người cao tuổi",
    Group.DAN_TOC_TON_GIAO: "Đồng bào dân tộc, tôn giáo",
}

KIND_NAMES: dict[Kind, str] = {
    Kind.PHAN_ANH_KIEN_NGHI: "Phản ánh, kiến nghị",
    Kind.KHIEU_NAI_TO_CAO: "Khiếu nại, tố cáo",
    Kind.GOP_Y: "Góp ý",
    Kind.HOI_DAP: "Hỏi đáp",
}
