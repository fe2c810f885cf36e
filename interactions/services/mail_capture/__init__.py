"""E-mail captured from mailboxes (issue 16): messages read from IMAP, parsed
(`parsing`), matched to contacts (interactions.selectors.mail_matching) and logged."""
