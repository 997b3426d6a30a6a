"""In-process extensions of the Rasa server: localized NLG, language detection, channel rules."""
