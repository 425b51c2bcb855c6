"""E-mail to factories: an outbox surface that sends each message as one MIME mail over SMTP.
One-way: a mail carries no buttons; the factory answers through the notice link."""
