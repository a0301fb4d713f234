"""Customer-safe sending: the one gate every customer email passes (suppression list, consent,
frequency cap, send window), the records it reads (suppressions, sent emails), unsubscribe
links and the email provider's tracking events. docs/architecture.md, "Customer-safe sending".
"""
