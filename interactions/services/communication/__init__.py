"""E-mails, phone calls and meeting invitations: sending them and recording them."""
