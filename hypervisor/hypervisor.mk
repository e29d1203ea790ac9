# hypervisor/hypervisor.mk: (filled in by its component)
