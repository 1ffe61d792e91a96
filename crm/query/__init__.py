"""crm.query: ObjectQL, the one way to read records shaped by user input."""
