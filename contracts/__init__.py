"""The one declaration of the return form, the rules, the indicators and reference data."""
