package main

import "fmt"

// murmur2 is Kafka's murmur2 (the Java client's Utils.murmur2) over the key's bytes.
func murmur2(data []byte) int32 {
	const m = uint32(0x5bd1e995)
	length := len(data)
	h := uint32(0x9747b28c) ^ uint32(length)
	for i := 0; i+4 <= length; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> 24
		k *= m
		h = h*m ^ k
	}
	tail := length &^ 3
	switch length % 4 {
	case 3:
		h ^= uint32(data[tail+2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[tail+1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[tail])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// javaPartition is the partition the Java client's default partitioner gives a keyed record,
// toPositive(murmur2(key)) % partitions. franz-go's default partitioner agrees for keyed records;
// librdkafka's default (crc32) does not.
func javaPartition(key []byte, partitions int32) int32 {
	return (murmur2(key) & 0x7fffffff) % partitions
}

// Kafka's own test vectors (UtilsTest.testMurmur2): a wrong hash fails here, before any record.
func init() {
	for key, want := range map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	} {
		if got := murmur2([]byte(key)); got != want {
			panic(fmt.Sprintf("murmur2(%q) = %d, want %d", key, got, want))
		}
	}
}
