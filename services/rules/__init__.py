"""The rules service: decides what each loyalty event is worth."""
