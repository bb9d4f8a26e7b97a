"""The tenant admin's console: the scheme without a text editor, branding and contacts,
coordinators and their scope."""
