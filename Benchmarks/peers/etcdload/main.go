// etcdload: puts against an etcd cluster from N concurrent clients for a fixed time; prints puts/s
// and latency percentiles. Written for RaftStep's peer benchmark (Benchmarks/peers/etcd-cluster.sh),
// so that etcd is loaded the way `redis-benchmark` loads raftd: one outstanding request per client.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/clientv3"
)

func main() {
	endpoints := flag.String("endpoints", "127.0.0.1:2379", "comma-separated client URLs")
	clients := flag.Int("clients", 1, "concurrent clients, one request outstanding each")
	duration := flag.Duration("duration", 10*time.Second, "how long to load")
	valueBytes := flag.Int("value-bytes", 100, "value size")
	keys := flag.Int("keys", 10000, "distinct keys, written round-robin")
	flag.Parse()

	client, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(*endpoints, ","), DialTimeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "etcdload: cannot connect:", err)
		os.Exit(1)
	}
	defer client.Close()

	value := strings.Repeat("v", *valueBytes)
	deadline := time.Now().Add(*duration)
	latencies := make([][]time.Duration, *clients)
	failures := make([]int, *clients)
	var group sync.WaitGroup
	start := time.Now()
	for c := 0; c < *clients; c++ {
		group.Add(1)
		go func(c int) {
			defer group.Done()
			for i := c; time.Now().Before(deadline); i += *clients {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				began := time.Now()
				_, err := client.Put(ctx, fmt.Sprintf("key%d", i%*keys), value)
				cancel()
				if err != nil {
					failures[c]++
					continue
				}
				latencies[c] = append(latencies[c], time.Since(began))
			}
		}(c)
	}
	group.Wait()
	elapsed := time.Since(start)

	var all []time.Duration
	failed := 0
	for c := range latencies {
		all = append(all, latencies[c]...)
		failed += failures[c]
	}
	if len(all) == 0 {
		fmt.Fprintln(os.Stderr, "etcdload: no put succeeded")
		os.Exit(1)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	percentile := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))]) / 1e6 }
	fmt.Printf("etcd puts, %d client(s), %d-byte values: %.0f puts/s, p50 %.2f ms, p99 %.2f ms (%d puts, %d failed, %.1f s)\n",
		*clients, *valueBytes, float64(len(all))/elapsed.Seconds(), percentile(0.50), percentile(0.99), len(all), failed, elapsed.Seconds())
}
