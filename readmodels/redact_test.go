package readmodels

import "testing"

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"username":"li","passwordHash":"$argon2id$v=19$m=65536$abc"}`, `{"username":"li","passwordHash":"[redacted]"}`},
		{`{"Password": "hunter2", "n": 1}`, `{"Password":"[redacted]", "n": 1}`},
		{`{"totpSecret":"JBSW\"Y3DP","secret":"x"}`, `{"totpSecret":"[redacted]","secret":"[redacted]"}`},
		{`{"recoveryCodes":["a1","b2"],"count":2}`, `{"recoveryCodes":"[redacted]","count":2}`},
		{`{"RECOVERYCODES" : [ ]}`, `{"RECOVERYCODES":"[redacted]"}`},
		{`{"ſecret":"x"}`, `{"ſecret":"[redacted]"}`}, // the expression folds ſ to s
		// Not a secret field: the words in values, or in other keys' names, stay.
		{`{"remark":"客户忘记了 password，secret 已重置"}`, `{"remark":"客户忘记了 password，secret 已重置"}`},
		{`{"passwordChangedAt":"2026-03-01T00:00:00Z"}`, `{"passwordChangedAt":"2026-03-01T00:00:00Z"}`},
		{`{"name":"王小明","company":"北京星河科技有限公司"}`, `{"name":"王小明","company":"北京星河科技有限公司"}`},
	} {
		if got := string(Redact([]byte(c.in))); got != c.want {
			t.Errorf("Redact(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

// BenchmarkRedact: an event without secret fields (most events) and one with.
func BenchmarkRedact(b *testing.B) {
	plain := []byte(`{"leadId":"0190b000-0000-7000-8000-000000000001","fields":{"name":"王小明","company":"北京星河科技有限公司",` +
		`"mobile":"13812345678","source":"展会","remark":"客户对报价敏感，下周回访"},"by":"0190b000-0000-7000-8000-000000000002"}`)
	secret := []byte(`{"userId":"0190b000-0000-7000-8000-000000000001","username":"li","passwordHash":"$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA"}`)
	for _, c := range []struct {
		name string
		data []byte
	}{{"plain", plain}, {"secret", secret}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				Redact(c.data)
			}
		})
	}
}
