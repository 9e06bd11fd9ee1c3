/* swarm_plan.h: what a swarm's config (swarm.h) gives each of its clients
 * before any is made: its mode, its room, the period of its states, a hub
 * or a socket of its own, its pin; and the descriptors all of them need. Pure:
 * reads the config (and resolves its host) only. */
#ifndef RICOCHET_SWARM_PLAN_H
#define RICOCHET_SWARM_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swarm.h"

/* Client i's mode: cfg's, or under cfg.mixed the mode table's in_mixed
 * modes in turn. */
enum proto_mode swarm_plan_mode(const struct swarm_config *cfg, size_t i);

/* Made client i's room, 0-based (cfg.first counted; SIZE_MAX for an
 * adopted one, i past cfg.clients), and the made clients in it, i
 * included (0 for an adopted one). */
size_t swarm_plan_room(const struct swarm_config *cfg, size_t i);
size_t swarm_plan_room_members(const struct swarm_config *cfg, size_t i);

/* µs between states at rate_hz (0 for a rate of 0: never). */
uint64_t swarm_plan_period(double rate_hz);

/* Does client i share a hub (an ENet mode over ENet, or udp to a relay on
 * loopback, udp_ok; and hubs on: per_host over 1)? */
bool swarm_plan_on_hub(const struct swarm_config *cfg, size_t per_host, bool udp_ok, size_t i);

/* Did cfg ask for udp hubs, for a relay on 127.0.0.0/8 (they reach no other)? */
bool swarm_plan_udp_hubs(const struct swarm_config *cfg);

/* Descriptors the swarm opens for cfg's clients. */
size_t swarm_plan_sockets(const struct swarm_config *cfg, size_t per_host, bool udp_ok);

/* cfg's pin as client_config takes it (64 lowercase hex digits), into
 * out; NULL without one or if it does not read (the client then takes any
 * certificate: callers check the pin first). */
const char *swarm_plan_pin(const struct swarm_config *cfg, char out[CLIENT_PIN_HEX + 1]);

#endif
