"""The data layer: connections and write transactions (hot), migrations (cold)."""
