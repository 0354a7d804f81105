"""Patients: demographics, MRN, contacts and consent, portal invitations."""
