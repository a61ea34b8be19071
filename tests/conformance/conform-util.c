/* conform-util.c - data patterns and the reference models that the cases check against. */
#include "conform.h"

static inline uint8_t pattern_byte(uint64_t tag, size_t pos)
{
	return (uint8_t)(pfc_mix(tag * 0x100000001b3ull + pos / 8) >> ((pos % 8) * 8));
}

void pfc_fill(void *buf, size_t len, uint64_t tag, size_t pos)
{
	uint8_t *b = buf;
	size_t i = 0;
	while (i < len && (pos + i) % 8)
		b[i] = pattern_byte(tag, pos + i), i++;
	for (; i + 8 <= len; i += 8) {
		uint64_t w = pfc_mix(tag * 0x100000001b3ull + (pos + i) / 8);
		for (int k = 0; k < 8; k++)
			b[i + (size_t)k] = (uint8_t)(w >> (k * 8));
	}
	for (; i < len; i++)
		b[i] = pattern_byte(tag, pos + i);
}

long pfc_verify(const void *buf, size_t len, uint64_t tag, size_t pos)
{
	const uint8_t *b = buf;
	size_t i = 0;
	while (i < len && (pos + i) % 8) {
		if (b[i] != pattern_byte(tag, pos + i))
			return (long)i;
		i++;
	}
	for (; i + 8 <= len; i += 8) {
		uint64_t w = pfc_mix(tag * 0x100000001b3ull + (pos + i) / 8);
		for (int k = 0; k < 8; k++)
			if (b[i + (size_t)k] != (uint8_t)(w >> (k * 8)))
				return (long)(i + (size_t)k);
	}
	for (; i < len; i++)
		if (b[i] != pattern_byte(tag, pos + i))
			return (long)i;
	return -1;
}

long pfc_first_nonzero(const void *buf, size_t len)
{
	const uint8_t *b = buf;
	for (size_t i = 0; i < len; i++)
		if (b[i])
			return (long)i;
	return -1;
}

size_t pfc_type_size(podfab_type_t type)
{
	return type == PODFAB_INT32 || type == PODFAB_UINT32 ? 4 : 8;
}

uint64_t pfc_type_mask(podfab_type_t type, uint64_t v)
{
	return pfc_type_size(type) == 4 ? (v & 0xffffffffull) : v;
}

/* -1, 0, 1 as a < b for values of `type` (given as bit patterns). */
static int compare3(podfab_type_t type, uint64_t a, uint64_t b)
{
	switch (type) {
	case PODFAB_INT32: {
		int32_t x = (int32_t)(uint32_t)a, y = (int32_t)(uint32_t)b;
		return x < y ? -1 : x > y;
	}
	case PODFAB_UINT32: {
		uint32_t x = (uint32_t)a, y = (uint32_t)b;
		return x < y ? -1 : x > y;
	}
	case PODFAB_INT64: {
		int64_t x = (int64_t)a, y = (int64_t)b;
		return x < y ? -1 : x > y;
	}
	default:
		return a < b ? -1 : a > b;
	}
}

uint64_t pfc_amo_ref(podfab_atomic_op_t op, podfab_type_t type, uint64_t old, uint64_t operand,
		     uint64_t compare)
{
	old = pfc_type_mask(type, old);
	operand = pfc_type_mask(type, operand);
	compare = pfc_type_mask(type, compare);
	uint64_t r;
	switch (op) {
	case PODFAB_AOP_ADD: r = old + operand; break;
	case PODFAB_AOP_AND: r = old & operand; break;
	case PODFAB_AOP_OR: r = old | operand; break;
	case PODFAB_AOP_XOR: r = old ^ operand; break;
	case PODFAB_AOP_MIN: r = compare3(type, operand, old) < 0 ? operand : old; break;
	case PODFAB_AOP_MAX: r = compare3(type, operand, old) > 0 ? operand : old; break;
	case PODFAB_AOP_SWAP: r = operand; break;
	case PODFAB_AOP_CSWAP: r = old == compare ? operand : old; break;
	case PODFAB_AOP_SET: r = operand; break;
	default: r = old; break;
	}
	return pfc_type_mask(type, r);
}

int pfc_cmp_ref(podfab_type_t type, podfab_cmp_t cmp, uint64_t v, uint64_t value)
{
	int c = compare3(type, pfc_type_mask(type, v), pfc_type_mask(type, value));
	switch (cmp) {
	case PODFAB_CMP_EQ: return c == 0;
	case PODFAB_CMP_NE: return c != 0;
	case PODFAB_CMP_GT: return c > 0;
	case PODFAB_CMP_GE: return c >= 0;
	case PODFAB_CMP_LT: return c < 0;
	default: return c <= 0;
	}
}

const char *pfc_op_name(podfab_atomic_op_t op)
{
	static const char *const names[] = {"ADD", "AND", "OR", "XOR", "MIN", "MAX", "SWAP", "CSWAP", "SET", "FETCH"};
	return (unsigned)op < PODFAB_AOP_MAX_OP ? names[op] : "?";
}

const char *pfc_type_name(podfab_type_t type)
{
	static const char *const names[] = {"INT32", "UINT32", "INT64", "UINT64"};
	return (unsigned)type < PODFAB_TYPE_MAX ? names[type] : "?";
}

const char *pfc_cmp_name(podfab_cmp_t cmp)
{
	static const char *const names[] = {"EQ", "NE", "GT", "GE", "LT", "LE"};
	return (unsigned)cmp < PODFAB_CMP_MAX ? names[cmp] : "?";
}
