/* uart.h: a 16550A serial port model (registers, receive FIFO, interrupt
 * identification). Pure logic: output and the IRQ line go through callbacks,
 * so the model is unit-tested without KVM. */
#ifndef VMM_UART_H
#define VMM_UART_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define UART_RX_SIZE 4096

struct uart {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, lsr_extra, msr, scr, fcr;
	uint16_t divisor;
	int thre_pending;        /* THR-empty interrupt waiting to be seen in IIR */
	int irq_level;           /* last level given to set_irq */
	uint8_t rx[UART_RX_SIZE];
	size_t rx_head, rx_len;
	void (*out)(void *opaque, const uint8_t *buf, size_t len);
	void (*set_irq)(void *opaque, int level);
	void *opaque;
};

void uart_init(struct uart *u, void (*out)(void *, const uint8_t *, size_t),
	       void (*set_irq)(void *, int), void *opaque);
/* Register access at offset 0..7 (port 0x3f8 + off), one byte. */
uint8_t uart_read(struct uart *u, unsigned off);
void uart_write(struct uart *u, unsigned off, uint8_t val);
/* Queue input bytes for the guest; returns how many fit. */
size_t uart_input(struct uart *u, const uint8_t *buf, size_t len);
/* Saved state (section "uart"): registers, the pending THR-empty interrupt,
 * unread input. Load: 0, or -1 with the reader's err. */
struct state_w;
struct state_r;
void uart_save(struct uart *u, struct state_w *w, uint32_t instance);
int uart_load(struct uart *u, struct state_r *r, uint32_t instance);
/* bus_fn adapter */
void uart_bus(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write);
#endif
