"""Custom input channels, one module each, and the pieces they share."""
