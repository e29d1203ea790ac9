/* test_uart.c: the 16550 register model (IER readback, THR-empty interrupt
 * after each byte, IIR clearing, receive interrupts, loopback as probed by
 * Linux, divisor latch) and the console ring (wrap, lost bytes). */
#include "wtest.h"
#include "devices/console.h"
#include "devices/uart.h"
#include "state.h"

#include <string.h>

static char outbuf[256];
static size_t outlen;
static int irq, irq_changes;

static void out(void *o, const uint8_t *b, size_t n) { (void)o; memcpy(outbuf + outlen, b, n); outlen += n; }
static void set_irq(void *o, int l) { (void)o; irq = l; irq_changes++; }

static struct uart u;
static void setup(void) { outlen = 0; irq = 0; irq_changes = 0; uart_init(&u, out, set_irq, NULL); }

static void t_ier_readback(void)
{
	setup();
	uart_write(&u, 1, 0x0f);
	WT_EQ_INT(uart_read(&u, 1), 0x0f);
	uart_write(&u, 1, 0xff);
	WT_EQ_INT(uart_read(&u, 1), 0x0f);   /* upper bits reserved */
}

static void t_thre_interrupt(void)
{
	setup();
	WT_EQ_INT(uart_read(&u, 2) & 0x0f, 0x01);    /* no interrupt */
	uart_write(&u, 1, 0x02);                     /* enable THRI */
	WT_EQ_INT(irq, 1);
	WT_EQ_INT(uart_read(&u, 2) & 0x0f, 0x02);    /* THR empty */
	WT_EQ_INT(irq, 0);                           /* cleared by the IIR read */
	WT_EQ_INT(uart_read(&u, 2) & 0x0f, 0x01);
	uart_write(&u, 0, 'A');                      /* each byte: a new THRE interrupt */
	WT_EQ_INT(irq, 1);
	WT_EQ_INT(outlen, 1);
	WT_CHECK(outbuf[0] == 'A');
	uart_read(&u, 2);
	uart_write(&u, 0, 'B');
	WT_EQ_INT(irq, 1);
	uart_write(&u, 1, 0);                        /* disable: line drops */
	WT_EQ_INT(irq, 0);
	WT_EQ_INT(uart_read(&u, 5) & 0x60, 0x60);    /* THRE | TEMT */
}

static void t_receive(void)
{
	setup();
	WT_EQ_INT(uart_read(&u, 5) & 1, 0);
	WT_EQ_INT(uart_input(&u, (const uint8_t *)"hi", 2), 2);
	WT_EQ_INT(irq, 0);                           /* RDI not enabled yet */
	uart_write(&u, 1, 0x01);
	WT_EQ_INT(irq, 1);
	WT_EQ_INT(uart_read(&u, 2) & 0x0f, 0x04);
	WT_EQ_INT(uart_read(&u, 5) & 1, 1);
	WT_EQ_INT(uart_read(&u, 0), 'h');
	WT_EQ_INT(uart_read(&u, 0), 'i');
	WT_EQ_INT(uart_read(&u, 5) & 1, 0);
	WT_EQ_INT(irq, 0);
	WT_EQ_INT(uart_read(&u, 0), 0);              /* empty FIFO reads 0 */
	uint8_t big[UART_RX_SIZE + 100];
	memset(big, 'x', sizeof(big));
	WT_EQ_INT(uart_input(&u, big, sizeof(big)), UART_RX_SIZE);   /* bounded */
	uart_write(&u, 2, 0x03);                     /* FCR: clear RX FIFO */
	WT_EQ_INT(uart_read(&u, 5) & 1, 0);
}

static void t_loopback_probe(void)
{
	setup();
	uart_write(&u, 4, 0x10 | 0x0a);              /* loop + RTS + OUT2 */
	WT_EQ_INT(uart_read(&u, 6) & 0xf0, 0x90);    /* CTS + DCD, as Linux checks */
	uart_write(&u, 0, 'Z');
	WT_EQ_INT(outlen, 0);                        /* looped back, not output */
	WT_EQ_INT(uart_read(&u, 0), 'Z');
	uart_write(&u, 4, 0x08);
	WT_EQ_INT(uart_read(&u, 6) & 0xb0, 0xb0);
}

static void t_divisor(void)
{
	setup();
	uart_write(&u, 3, 0x80);
	uart_write(&u, 0, 0x01);
	uart_write(&u, 1, 0x02);
	WT_EQ_INT(uart_read(&u, 0), 0x01);
	WT_EQ_INT(uart_read(&u, 1), 0x02);
	WT_EQ_INT(outlen, 0);
	uart_write(&u, 3, 0x03);
	WT_EQ_INT(uart_read(&u, 1), 0);              /* IER untouched by DLM writes */
	uart_write(&u, 7, 0x5a);
	WT_EQ_INT(uart_read(&u, 7), 0x5a);           /* scratch */
}

static void t_console_ring(void)
{
	struct console_ring c;
	WT_EQ_INT(console_init(&c, 8), 0);
	console_put(&c, (const uint8_t *)"abcdef", 6);
	uint64_t pos = 0, lost = 0;
	uint8_t b[16];
	WT_EQ_INT(console_get(&c, &pos, b, sizeof(b), &lost), 6);
	WT_CHECK(!memcmp(b, "abcdef", 6));
	console_put(&c, (const uint8_t *)"ghijk", 5);   /* wraps: "abc" lost */
	WT_EQ_INT(console_start(&c), 3);
	WT_EQ_INT(console_end(&c), 11);
	pos = 0;
	WT_EQ_INT(console_get(&c, &pos, b, sizeof(b), &lost), 8);
	WT_EQ_INT(lost, 3);
	WT_CHECK(!memcmp(b, "defghijk", 8));
	WT_EQ_INT(console_get(&c, &pos, b, sizeof(b), &lost), 0);
	console_put(&c, (const uint8_t *)"0123456789XYZ", 13);   /* larger than the ring */
	pos = 0; lost = 0;
	WT_EQ_INT(console_get(&c, &pos, b, 3, &lost), 3);
	WT_CHECK(!memcmp(b, "567", 3));   /* the last 8 bytes survive */
	pos = 1000;                                      /* beyond the end: clamped */
	WT_EQ_INT(console_get(&c, &pos, b, sizeof(b), NULL), 0);
	WT_EQ_INT(pos, 24);
	console_free(&c);
}

/* Saved and loaded into a new UART: registers, unread input (also across
 * the ring's wrap) and the interrupt line carry over. */
static void t_saved_state(void)
{
	setup();
	uart_write(&u, 3, 0x80);                 /* DLAB: divisor 12 */
	uart_write(&u, 0, 12);
	uart_write(&u, 3, 0x03);
	uart_write(&u, 1, 0x01);                 /* receive interrupts */
	uart_write(&u, 7, 0x5a);
	static uint8_t fill[UART_RX_SIZE - 2];
	uart_input(&u, fill, sizeof fill);
	for (size_t i = 0; i < sizeof fill; i++)
		uart_read(&u, 0);                        /* move the ring's head near its end */
	uart_input(&u, (const uint8_t *)"abcd", 4);
	WT_EQ_INT(uart_read(&u, 0), 'a');
	WT_EQ_INT(irq, 1);
	struct state_machine m = { "x86_64", 1, 1, "" }, mm;
	struct state_w w;
	state_w_init(&w, &m);
	uart_save(&u, &w, 0);
	WT_EQ_INT(state_w_finish(&w), 0);

	setup();
	struct state_r r;
	WT_EQ_INT(state_r_open(&r, w.buf, w.len, &mm), 0);
	WT_EQ_INT(uart_load(&u, &r, 0), 0);
	WT_EQ_INT(irq, 1);                           /* the line is up again */
	WT_EQ_INT(uart_read(&u, 1), 0x01);
	WT_EQ_INT(uart_read(&u, 3), 0x03);
	WT_EQ_INT(uart_read(&u, 7), 0x5a);
	uart_write(&u, 3, 0x80);
	WT_EQ_INT(uart_read(&u, 0), 12);
	uart_write(&u, 3, 0x03);
	WT_EQ_INT(uart_read(&u, 0), 'b');
	WT_EQ_INT(uart_read(&u, 0), 'c');
	WT_EQ_INT(uart_read(&u, 0), 'd');
	WT_EQ_INT(irq, 0);
	state_w_free(&w);
}

WTEST_MAIN("vmm_uart", WT_CASE(t_saved_state), WT_CASE(t_ier_readback), WT_CASE(t_thre_interrupt), WT_CASE(t_receive),
	   WT_CASE(t_loopback_probe), WT_CASE(t_divisor), WT_CASE(t_console_ring))
