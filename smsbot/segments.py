"""SMS segment counting, as the SMS adapter shows it: the code lives in prompts/segments.py, next to the SMS
wording (prompts/sms.py), so replies and the messages the jobs send are measured and folded the same way."""

from prompts.segments import (  # noqa: F401
    GSM7_BASIC,
    GSM7_EXTENSION,
    GSM7_MULTI,
    GSM7_SINGLE,
    UCS2_MULTI,
    UCS2_SINGLE,
    SegmentCount,
    economical,
    gsm_fold,
    is_gsm7,
    offending_characters,
    segments,
)
