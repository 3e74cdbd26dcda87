/* The nRF52840 registers the USB stack touches, from the nRF52840 Product
 * Specification v1.7: USBD (chapter 6.35), the USB parts of POWER (6.23),
 * and the Cortex-M4 NVIC/SCB/DWT.  Offsets from the peripheral base.
 */
#ifndef EDGESIM_NRF52840_USBD_H
#define EDGESIM_NRF52840_USBD_H

#include <stdint.h>

#define USB_REG(base, offset) (*(volatile uint32_t *)((uintptr_t)(base) + (offset)))

/* POWER (shares 0x40000000 with CLOCK) */
#define NRF_POWER 0x40000000u
#define POWER_EVENTS_USBDETECTED 0x11Cu
#define POWER_EVENTS_USBREMOVED 0x120u
#define POWER_EVENTS_USBPWRRDY 0x124u
#define POWER_INTENSET 0x304u
#define POWER_INT_USBDETECTED (1u << 7)
#define POWER_INT_USBREMOVED (1u << 8)
#define POWER_INT_USBPWRRDY (1u << 9)
#define POWER_USBREGSTATUS 0x438u
#define POWER_USBREGSTATUS_VBUSDETECT 1u
#define POWER_USBREGSTATUS_OUTPUTRDY 2u
#define POWER_GPREGRET 0x51Cu

/* USBD */
#define NRF_USBD 0x40027000u
#define USBD_TASKS_STARTEPIN(n) (0x004u + 4u * (n))
#define USBD_TASKS_STARTEPOUT(n) (0x028u + 4u * (n))
#define USBD_TASKS_EP0RCVOUT 0x04Cu
#define USBD_TASKS_EP0STATUS 0x050u
#define USBD_TASKS_EP0STALL 0x054u
#define USBD_EVENTS_USBRESET 0x100u
#define USBD_EVENTS_STARTED 0x104u
#define USBD_EVENTS_ENDEPIN(n) (0x108u + 4u * (n))
#define USBD_EVENTS_EP0DATADONE 0x128u
#define USBD_EVENTS_ENDEPOUT(n) (0x130u + 4u * (n))
#define USBD_EVENTS_USBEVENT 0x158u
#define USBD_EVENTS_EP0SETUP 0x15Cu
#define USBD_EVENTS_EPDATA 0x160u
#define USBD_INTENSET 0x304u
#define USBD_INTENCLR 0x308u
/* INTEN bit of an event: (event offset - 0x100) / 4 */
#define USBD_INT(event) (1u << (((event) - 0x100u) / 4u))
#define USBD_EVENTCAUSE 0x400u
#define USBD_EVENTCAUSE_SUSPEND (1u << 8)
#define USBD_EVENTCAUSE_RESUME (1u << 9)
#define USBD_EVENTCAUSE_READY (1u << 11)
#define USBD_EPSTATUS 0x468u
#define USBD_EPDATASTATUS 0x46Cu
#define USBD_EPDATASTATUS_EPIN(n) (1u << (n))
#define USBD_EPDATASTATUS_EPOUT(n) (1u << (16u + (n)))
#define USBD_BMREQUESTTYPE 0x480u
#define USBD_BREQUEST 0x484u
#define USBD_WVALUEL 0x488u
#define USBD_WVALUEH 0x48Cu
#define USBD_WINDEXL 0x490u
#define USBD_WINDEXH 0x494u
#define USBD_WLENGTHL 0x498u
#define USBD_WLENGTHH 0x49Cu
#define USBD_SIZE_EPOUT(n) (0x4A0u + 4u * (n))
#define USBD_ENABLE 0x500u
#define USBD_USBPULLUP 0x504u
#define USBD_DTOGGLE 0x50Cu
#define USBD_DTOGGLE_IO_IN (1u << 7)
#define USBD_DTOGGLE_DATA0 (1u << 8) /* VALUE = Data0 (VALUE 0 = Nop only reads) */
#define USBD_EPINEN 0x510u
#define USBD_EPOUTEN 0x514u
#define USBD_EPSTALL 0x518u
#define USBD_EPSTALL_IO_IN (1u << 7)
#define USBD_EPSTALL_STALL (1u << 8)
#define USBD_EPIN_PTR(n) (0x600u + 0x14u * (n))
#define USBD_EPIN_MAXCNT(n) (0x604u + 0x14u * (n))
#define USBD_EPOUT_PTR(n) (0x700u + 0x14u * (n))
#define USBD_EPOUT_MAXCNT(n) (0x704u + 0x14u * (n))
#define USBD_EPOUT_AMOUNT(n) (0x708u + 0x14u * (n))
#define USBD_IRQN 39u
#define POWER_CLOCK_IRQN 0u

/* Undocumented registers of the nRF52840 errata 171 and 187 workarounds
 * (nRF52840 Rev 1/2 errata sheets): 0x4006EC00 unlocks the others. */
#define ERRATA_UNLOCK 0x4006EC00u
#define ERRATA_UNLOCK_KEY 0x9375u
#define ERRATA_171_REG 0x4006EC14u
#define ERRATA_171_VALUE 0xC0u
#define ERRATA_187_REG 0x4006ED14u
#define ERRATA_187_VALUE 3u
/* Errata 199 ("USBD cannot receive tasks during DMA"): this USBD register
 * holds 0x82 while an EasyDMA transfer runs, 0 otherwise. */
#define ERRATA_199_REG 0xC1Cu
#define ERRATA_199_DMA_BUSY 0x82u

/* FICR: the factory-programmed 64-bit device id names the board (iSerial). */
#define FICR_DEVICEID0 0x10000060u
#define FICR_DEVICEID1 0x10000064u

/* Cortex-M4 system control space */
#define NVIC_ISER(n) (0xE000E100u + 4u * (n))
#define NVIC_ICER(n) (0xE000E180u + 4u * (n))
#define NVIC_ISPR(n) (0xE000E200u + 4u * (n))
#define SCB_VTOR 0xE000ED08u
#define SCB_AIRCR 0xE000ED0Cu
#define SCB_AIRCR_SYSRESETREQ 0x05FA0004u /* VECTKEY | SYSRESETREQ */
#define DWT_CYCCNT 0xE0001004u

#endif /* EDGESIM_NRF52840_USBD_H */
