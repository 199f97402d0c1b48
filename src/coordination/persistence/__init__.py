"""Tables, engine and migrations of the coordination database (the only home of personal data)."""
