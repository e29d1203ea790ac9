/* uart.c: 16550A register model. Transmission is instant (THR is always
 * empty), so each THR write raises a new THR-empty interrupt when enabled,
 * as the Linux 8250 driver expects; IIR reads clear it. Loopback mode is
 * modelled because the driver's probe relies on it. */
#include "uart.h"
#include "state.h"

#include <stdio.h>
#include <string.h>

enum {
	UART_IER_RDI = 0x01, UART_IER_THRI = 0x02,
	UART_IIR_NONE = 0x01, UART_IIR_THRI = 0x02, UART_IIR_RDI = 0x04,
	UART_IIR_FIFO = 0xc0,
	UART_LCR_DLAB = 0x80,
	UART_MCR_LOOP = 0x10,
	UART_LSR_DR = 0x01, UART_LSR_THRE = 0x20, UART_LSR_TEMT = 0x40,
	UART_MSR_CTS = 0x10, UART_MSR_DSR = 0x20, UART_MSR_RI = 0x40, UART_MSR_DCD = 0x80,
};

static void uart_nop_out(void *o, const uint8_t *b, size_t n) { (void)o; (void)b; (void)n; }
static void uart_nop_irq(void *o, int l) { (void)o; (void)l; }

void uart_init(struct uart *u, void (*out)(void *, const uint8_t *, size_t),
	       void (*set_irq)(void *, int), void *opaque)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->out = out ? out : uart_nop_out;
	u->set_irq = set_irq ? set_irq : uart_nop_irq;
	u->opaque = opaque;
	u->divisor = 12;   /* 9600 baud */
	u->mcr = 0x08;     /* OUT2 */
	u->msr = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
}

static uint8_t uart_iir(const struct uart *u)
{
	uint8_t fifo = (u->fcr & 1) ? UART_IIR_FIFO : 0;
	if ((u->ier & UART_IER_RDI) && u->rx_len)
		return fifo | UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thre_pending)
		return fifo | UART_IIR_THRI;
	return fifo | UART_IIR_NONE;
}

static void uart_update_irq(struct uart *u)
{
	int level = !(uart_iir(u) & UART_IIR_NONE);
	if (level != u->irq_level) {
		u->irq_level = level;
		u->set_irq(u->opaque, level);
	}
}

static void uart_rx_push(struct uart *u, uint8_t c)
{
	if (u->rx_len == UART_RX_SIZE)
		return;   /* overrun: drop, like a full FIFO */
	u->rx[(u->rx_head + u->rx_len) % UART_RX_SIZE] = c;
	u->rx_len++;
}

static uint8_t uart_msr(const struct uart *u)
{
	if (!(u->mcr & UART_MCR_LOOP))
		return u->msr;
	uint8_t m = 0;
	if (u->mcr & 0x01) m |= UART_MSR_DSR;
	if (u->mcr & 0x02) m |= UART_MSR_CTS;
	if (u->mcr & 0x04) m |= UART_MSR_RI;
	if (u->mcr & 0x08) m |= UART_MSR_DCD;
	return m;
}

static uint8_t uart_read_locked(struct uart *u, unsigned off)
{
	int dlab = u->lcr & UART_LCR_DLAB;
	uint8_t v = 0xff;
	switch (off) {
	case 0:
		if (dlab)
			return (uint8_t)u->divisor;
		v = 0;
		if (u->rx_len) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % UART_RX_SIZE;
			u->rx_len--;
		}
		return v;
	case 1: return dlab ? (uint8_t)(u->divisor >> 8) : u->ier;
	case 2:
		v = uart_iir(u);
		if ((v & 0x0f) == UART_IIR_THRI)
			u->thre_pending = 0;
		return v;
	case 3: return u->lcr;
	case 4: return u->mcr;
	case 5: return (u->rx_len ? UART_LSR_DR : 0) | UART_LSR_THRE | UART_LSR_TEMT | u->lsr_extra;
	case 6: return uart_msr(u);
	case 7: return u->scr;
	}
	return v;
}

static void uart_write_locked(struct uart *u, unsigned off, uint8_t val)
{
	int dlab = u->lcr & UART_LCR_DLAB;
	switch (off) {
	case 0:
		if (dlab) {
			u->divisor = (uint16_t)((u->divisor & 0xff00) | val);
		} else {
			if (u->mcr & UART_MCR_LOOP)
				uart_rx_push(u, val);
			else
				u->out(u->opaque, &val, 1);
			u->thre_pending = 1;
		}
		break;
	case 1:
		if (dlab) {
			u->divisor = (uint16_t)((u->divisor & 0xff) | (val << 8));
		} else {
			if ((val & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
				u->thre_pending = 1;
			u->ier = val & 0x0f;
		}
		break;
	case 2:
		u->fcr = val & 0xc9;
		if (val & 0x02)
			u->rx_len = 0;
		break;
	case 3: u->lcr = val; break;
	case 4: u->mcr = val & 0x1f; break;
	case 7: u->scr = val; break;
	default: break;   /* LSR, MSR: read-only */
	}
}

uint8_t uart_read(struct uart *u, unsigned off)
{
	pthread_mutex_lock(&u->lock);
	uint8_t v = uart_read_locked(u, off & 7);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return v;
}

void uart_write(struct uart *u, unsigned off, uint8_t val)
{
	pthread_mutex_lock(&u->lock);
	uart_write_locked(u, off & 7, val);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

size_t uart_input(struct uart *u, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&u->lock);
	size_t n = 0;
	while (n < len && u->rx_len < UART_RX_SIZE)
		uart_rx_push(u, buf[n++]);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

void uart_bus(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write)
{
	struct uart *u = opaque;
	for (unsigned i = 0; i < len; i++) {
		if (is_write)
			uart_write(u, (unsigned)(off + i), data[i]);
		else
			data[i] = uart_read(u, (unsigned)(off + i));
	}
}

/* ---- saved state */

struct uart_state {
	uint8_t ier, lcr, mcr, lsr_extra, msr, scr, fcr;
	uint16_t divisor;
	uint8_t thre_pending;
	uint32_t rx_len;
	uint8_t rx[UART_RX_SIZE];   /* unread input, oldest first */
};
#define US(type, m) STATE_FIELD(struct uart_state, type, m)
static const struct state_field uart_fields[] = {
	US(ST_U8, ier), US(ST_U8, lcr), US(ST_U8, mcr), US(ST_U8, lsr_extra), US(ST_U8, msr), US(ST_U8, scr),
	US(ST_U8, fcr), US(ST_U16, divisor), US(ST_U8, thre_pending), US(ST_U32, rx_len), US(ST_BYTES, rx),
};
static const struct state_desc uart_desc = {
	.name = "uart", .version = 1, .min_version = 1,
	.fields = uart_fields, .nfields = sizeof uart_fields / sizeof uart_fields[0],
};

void uart_save(struct uart *u, struct state_w *w, uint32_t instance)
{
	static struct uart_state s;   /* 4 KiB; saves are serialised by the control loop */
	memset(&s, 0, sizeof s);
	pthread_mutex_lock(&u->lock);
	s.ier = u->ier; s.lcr = u->lcr; s.mcr = u->mcr; s.lsr_extra = u->lsr_extra;
	s.msr = u->msr; s.scr = u->scr; s.fcr = u->fcr; s.divisor = u->divisor;
	s.thre_pending = u->thre_pending != 0;
	s.rx_len = (uint32_t)u->rx_len;
	for (size_t i = 0; i < u->rx_len; i++)
		s.rx[i] = u->rx[(u->rx_head + i) % UART_RX_SIZE];
	pthread_mutex_unlock(&u->lock);
	state_w_section(w, &uart_desc, instance, &s);
}

int uart_load(struct uart *u, struct state_r *r, uint32_t instance)
{
	static struct uart_state s;
	if (state_r_section(r, &uart_desc, instance, &s))
		return -1;
	if (s.rx_len > UART_RX_SIZE || s.thre_pending > 1) {
		snprintf(r->err, sizeof r->err, "uart: saved state: %u bytes of input, at most %d", s.rx_len,
			 UART_RX_SIZE);
		return -1;
	}
	pthread_mutex_lock(&u->lock);
	u->ier = s.ier; u->lcr = s.lcr; u->mcr = s.mcr; u->lsr_extra = s.lsr_extra;
	u->msr = s.msr; u->scr = s.scr; u->fcr = s.fcr; u->divisor = s.divisor;
	u->thre_pending = s.thre_pending;
	u->rx_head = 0;
	u->rx_len = s.rx_len;
	memcpy(u->rx, s.rx, s.rx_len);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}
