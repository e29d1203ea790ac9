# board/x86_64: PC-class x86_64 servers (BIOS, UEFI, U-Boot, PXE).
ARCH          := x86_64
DEB_ARCH      := amd64
GNU_TRIPLET   := x86_64-linux-gnu
MUSL_TRIPLET  := x86_64-linux-musl
# Debian's signed kernel: the meta package is resolved to the versioned one.
KERNEL_META   := linux-image-amd64
KERNEL_IMAGE  := vmlinuz
# Bootloaders the image carries (see docs/boot.md).
BOOTLOADERS   := grub-pc grub-efi u-boot
# Module list: board/x86_64/modules (one name per line, dependencies added).
MODULE_LIST   := board/x86_64/modules
# QEMU for tests and `make run`.
QEMU          := qemu-system-x86_64
QEMU_MACHINE  := -machine q35 -cpu max,+svm -smp 2 -m 2048
QEMU_NIC      := virtio-net-pci
BIOS_SEABIOS  := /usr/share/seabios/bios-256k.bin
OVMF_CODE     := /usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS     := /usr/share/OVMF/OVMF_VARS_4M.fd
UBOOT_ROM     := $(B)/deps/root/usr/lib/u-boot/qemu-x86_64/u-boot.rom
# Binary packages (trixie) this board takes apart into the image or tools.
BOARD_DEBS    := u-boot-qemu grub-pc-bin grub-efi-amd64-bin grub-common
