"""One function per thing a person (or a flow on their behalf) does.

Each takes a Session opened by the caller's unit of work, so a use case is all-or-nothing,
and returns ids and counts — never personal data — so flows may pass results on."""
