"""E-mail: an outbox filled inside the writing transaction, drained by a worker through SMTP.

``ports`` (the Outbox protocol and its messages), ``sql`` (the table adapter), ``memory`` (the twin for
unit tests), ``sender`` (SMTP and the worker), ``cli`` (``rights mail send``). See docs/helpline.md.
"""
