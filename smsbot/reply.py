"""A dialog Reply as SMS: one compact message (the sentences, then the numbered choices) in TwiML.

The words are prompts/sms.py's, the one SMS renderer (the jobs' outbound messages use it too); this module
adds what only the adapter knows: the Messaging TwiML.
"""

from __future__ import annotations

from twilio.twiml.messaging_response import MessagingResponse

import prompts
from prompts.sms import CHANNEL, reply_text, say_text  # noqa: F401  (the adapter's face)


def twiml(*messages: str) -> str:
    """A MessagingResponse with one <Message> per non-empty text, or an empty <Response/>."""
    response = MessagingResponse()
    for message in messages:
        if message:
            response.message(message)
    return str(response)


def bilingual(key: str) -> str:
    """A fixed text French first, then English (used where the patient's language is not known)."""
    return "\n".join(prompts.render(key, lang, CHANNEL) for lang in ("fr", "en"))
