"""Reader-app APIs: Google Reader (as Miniflux and FreshRSS serve it) and Fever."""
