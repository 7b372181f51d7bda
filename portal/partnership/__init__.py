"""Partnership agreements: drafting, versions, online signatures and the policy they compile into."""
