"""Fitted models (JSON), written by ``make train``; see ``assistant.answer.learned``."""
