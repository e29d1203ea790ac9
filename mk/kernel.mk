# mk/kernel.mk
