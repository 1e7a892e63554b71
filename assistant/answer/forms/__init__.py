"""Learned choices of the forms beyond a factoid (why/how, yes/no, comparison, summary,
follow-ups, near-miss abstention): their features (``features``), the fitted models
(``model``, ``assistant/answer/models/forms.json``, fitted by ``make train``), and the
near-miss guard applied to every reply (``guard``).

The same feature functions build the training rows (``assistant.evaluation.training.forms``)
and score a question at run time.
"""
