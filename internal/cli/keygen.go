package cli

import (
	"fmt"

	"github.com/confrec/confrec/seal"
	"github.com/urfave/cli/v2"
)

func keygenCommand() *cli.Command {
	return &cli.Command{
		Name:  "keygen",
		Usage: "make an Ed25519 key pair for signing manifests",
		Description: `Writes the private key to NAME (PEM PKCS #8) and the public key to NAME.pub (PEM PKIX), both
created 0600; an existing file is never overwritten. Sign with 'confrec seal --sign-key NAME'; give
NAME.pub to whoever verifies ('confrec verify --manifest M --pub-key NAME.pub').`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flgOutput, Aliases: []string{"o"}, Value: "confrec-seal",
				Usage: "write the private key to `NAME` and the public key to NAME.pub"},
		},
		OnUsageError: onUsageError,
		Action:       runKeygen,
	}
}

func runKeygen(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("%s takes no arguments (see '%s --help')", commandPath(c), commandPath(c))
	}
	path := c.String(flgOutput)
	for _, p := range []string{path, path + ".pub"} {
		if err := checkOutput(c, p); err != nil {
			return err
		}
	}
	pub, priv, err := seal.GenerateKey()
	if err != nil {
		return err
	}
	if err := seal.WriteKeyPair(path, priv); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "private key %s (keep it secret), public key %s.pub, key ID %s\n", path, path, seal.KeyID(pub))
	return nil
}
