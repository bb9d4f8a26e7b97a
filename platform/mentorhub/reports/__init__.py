"""What the people who run a scheme see of it: the coordinator's cockpit per cohort and the
cohort's evaluation report (page with charts; CSV, XLSX and PDF downloads)."""
