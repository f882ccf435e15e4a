"""The Contoso sample estate that `aiposture demo` writes and assesses."""
