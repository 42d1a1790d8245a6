import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from custseg.privacy.masking import (
    mask_address,
    mask_email,
    mask_frame,
    mask_id_number,
    mask_name,
    mask_phone,
)


def test_spec_examples():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_phone("138-1234-1234") == "138****1234"
    assert mask_id_number("11010119900307451X") == "110101********451X"
    assert mask_email("jane.doe@example.com") == "j***@example.com"
    assert mask_address("广东省深圳市南山区科技园1号") == "广东省深圳市****"


@given(st.text(st.characters(blacklist_characters="*"), min_size=1, max_size=30))
def test_maskers_never_return_the_clear_value(text):
    for masker in (mask_name, mask_phone, mask_id_number, mask_email, mask_address):
        masked = masker(text)
        assert "*" in masked or not masked
        if len(text.strip()) > 2:
            assert masked != text.strip()


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_phone_keeps_prefix_and_last_four(phone):
    masked = mask_phone(phone)
    assert masked == phone[:3] + "****" + phone[-4:]


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
       st.sampled_from(["", "+86 ", "+86-", "0086 ", "86", "(+86) "]))
def test_phone_with_or_without_the_country_code_masks_alike(phone, prefix):
    assert mask_phone(prefix + phone) == mask_phone(phone) == phone[:3] + "****" + phone[-4:]


def test_mask_frame_masks_only_personal_columns_and_keeps_nulls():
    frame = pd.DataFrame({"customer_id": ["c1", "c2"], "name": ["李四", None],
                          "phone": ["13912345678", "13700000000"]})
    out = mask_frame(frame)
    assert out["customer_id"].tolist() == ["c1", "c2"]
    assert out["name"].tolist()[0] == "李*" and pd.isna(out["name"].tolist()[1])
    assert out["phone"].tolist() == ["139****5678", "137****0000"]
    assert frame["name"].tolist()[0] == "李四"
