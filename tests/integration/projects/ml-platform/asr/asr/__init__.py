"""A stand-in speech recogniser: decodes 'audio' given as space-separated phoneme ids."""
