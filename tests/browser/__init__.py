"""Tests in a real browser (Chromium driven by Playwright) against the live app."""
