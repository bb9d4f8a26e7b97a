"""GDPR basics: a member's download of everything held about them (Art. 15/20) and a tenant
admin's erasure of a member (Art. 17)."""
