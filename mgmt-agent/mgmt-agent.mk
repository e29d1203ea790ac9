# mgmt-agent/mgmt-agent.mk: (filled in by its component)
