"""Every write to goals of care and advance care planning.

Callers reach the patient through an access-checked selector first; these functions check that
every record they are given belongs to that patient, so an id of patient A sent in patient B's
context changes nothing.

By concern: the checks they share (common), goals-of-care conversations and marking a record
entered in error (conversations), health-care agents and directive documents (agents), code
status and portable medical orders (orders), and treatment and place preferences
(preferences).
"""

from __future__ import annotations

from pallio.acp.services.agents import (
    AgentInput,
    agent_add,
    agent_verify,
    directive_document_upload,
    directive_document_verify,
)
from pallio.acp.services.common import MAX_PARTICIPANTS, STALE_MESSAGE, TEXT_LIMIT
from pallio.acp.services.conversations import (
    VOID_ACTIONS,
    ConversationInput,
    acp_record_mark_entered_in_error,
    conversation_addendum_add,
    conversation_create,
    conversation_sign,
    conversation_update,
)
from pallio.acp.services.orders import (
    PortableOrderInput,
    code_status_change,
    current_code_status_of,
    current_portable_order_of,
    portable_order_record,
)
from pallio.acp.services.preferences import place_preference_set, treatment_preference_set

__all__ = [
    "MAX_PARTICIPANTS",
    "STALE_MESSAGE",
    "TEXT_LIMIT",
    "VOID_ACTIONS",
    "AgentInput",
    "ConversationInput",
    "PortableOrderInput",
    "acp_record_mark_entered_in_error",
    "agent_add",
    "agent_verify",
    "code_status_change",
    "conversation_addendum_add",
    "conversation_create",
    "conversation_sign",
    "conversation_update",
    "current_code_status_of",
    "current_portable_order_of",
    "directive_document_upload",
    "directive_document_verify",
    "place_preference_set",
    "portable_order_record",
    "treatment_preference_set",
]
