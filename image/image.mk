# image/image.mk
