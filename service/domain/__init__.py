"""The service's domain: pure policy and wording, no storage and no web (imported by the use cases)."""
