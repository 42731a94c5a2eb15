<?php
/**
 * WooCommerce > Aftercare: the service URL, connecting, the email switches and disconnecting.
 *
 * @package Aftercare
 */

defined( 'ABSPATH' ) || exit;

/**
 * The settings page and its two settings forms. Secrets are never rendered.
 */
class Aftercare_Settings_Page {

	const SLUG = 'aftercare';
	/**
	 * How often, and how long after, the connecting page reloads itself (each load claims once: well within
	 * the service's claim rate limit).
	 */
	const RELOADS   = 12;
	const RELOAD_MS = 10000;

	/**
	 * The connection's life cycle.
	 *
	 * @var Aftercare_Connection
	 */
	private $connection;

	/**
	 * The notice code to show.
	 *
	 * @var string
	 */
	private $notice = '';

	/**
	 * Constructor.
	 *
	 * @param Aftercare_Connection $connection The connection's life cycle.
	 */
	public function __construct( Aftercare_Connection $connection ) {
		$this->connection = $connection;
	}

	/**
	 * Hooks the menu and the settings forms.
	 */
	public function register(): void {
		add_action( 'admin_menu', array( $this, 'add_menu' ) );
		add_action( 'admin_post_aftercare_save_url', array( $this, 'handle_save_url' ) );
		add_action( 'admin_post_aftercare_save_emails', array( $this, 'handle_save_emails' ) );
	}

	/**
	 * Adds WooCommerce > Aftercare.
	 */
	public function add_menu(): void {
		$title = __( 'Aftercare', 'aftercare' );
		$hook  = add_submenu_page( 'woocommerce', $title, $title, Aftercare_Connection::CAPABILITY, self::SLUG, array( $this, 'render' ) );
		if ( $hook ) {
			add_action( 'load-' . $hook, array( $this, 'load' ) );
		}
	}

	/**
	 * Before the page prints: finishes a return from WooCommerce, or claims again while the service checks the
	 * keys, or picks up a notice code.
	 */
	public function load(): void {
		if ( ! current_user_can( Aftercare_Connection::CAPABILITY ) ) {
			return;
		}
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- the return from WooCommerce is matched against the pending connect_id; a notice code only selects fixed text.
		$this->notice = isset( $_GET['success'] ) ? $this->connection->finish( $_GET ) : $this->connection->resume();
		if ( '' === $this->notice && isset( $_GET['aftercare_notice'] ) && is_string( $_GET['aftercare_notice'] ) ) {
			$this->notice = sanitize_key( wp_unslash( $_GET['aftercare_notice'] ) );
		}
		// phpcs:enable
	}

	/**
	 * POST admin-post.php?action=aftercare_save_url.
	 */
	public function handle_save_url(): void {
		Aftercare_Connection::guard( 'aftercare_save_url' );
		if ( Aftercare_Options::is_connected() ) {
			Aftercare_Connection::back( 'url_locked' );
		}
		$given = isset( $_POST['aftercare_app_url'] ) ? trim( sanitize_text_field( wp_unslash( $_POST['aftercare_app_url'] ) ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified in guard().
		$url   = esc_url_raw( $given );
		if ( '' !== $given && ! Aftercare_Options::is_https_url( $url ) ) {
			Aftercare_Connection::back( 'url_not_https' );
		}
		update_option( Aftercare_Options::APP_URL, untrailingslashit( $url ) );
		Aftercare_Connection::back( 'url_saved' );
	}

	/**
	 * POST admin-post.php?action=aftercare_save_emails.
	 */
	public function handle_save_emails(): void {
		Aftercare_Connection::guard( 'aftercare_save_emails' );
		$given = isset( $_POST['aftercare_disabled_emails'] ) && is_array( $_POST['aftercare_disabled_emails'] ) ? wp_unslash( $_POST['aftercare_disabled_emails'] ) : array(); // phpcs:ignore WordPress.Security.NonceVerification.Missing, WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- verified in guard(); sanitised against the known ids.
		update_option( Aftercare_Options::DISABLED_EMAILS, Aftercare_Emails::sanitize( $given ) );
		Aftercare_Connection::back( 'emails_saved' );
	}

	/**
	 * Prints the page.
	 */
	public function render(): void {
		if ( ! current_user_can( Aftercare_Connection::CAPABILITY ) ) {
			return;
		}
		echo '<div class="wrap"><h1>' . esc_html__( 'Aftercare', 'aftercare' ) . '</h1>';
		Aftercare_Notices::render( $this->notice );
		if ( Aftercare_Options::is_connected() ) {
			$this->render_connected();
		} elseif ( Aftercare_Options::is_connecting() ) {
			$this->render_connecting();
		} else {
			$this->render_not_connected();
		}
		echo '</div>';
	}

	/**
	 * While the service checks the keys WooCommerce gave it and this site's proof: says so, and loads the page
	 * again a few times by itself (each load claims once), then leaves it to the "Check again" button.
	 */
	private function render_connecting(): void {
		echo '<h2>' . esc_html__( 'Connecting…', 'aftercare' ) . '</h2>';
		echo '<p><strong>' . esc_html__( 'Aftercare is checking the keys WooCommerce gave it and this site.', 'aftercare' ) . '</strong> ';
		echo esc_html__( 'This takes a moment. Nothing is sent to your shoppers until the store is connected.', 'aftercare' ) . '</p>';
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a counter of automatic reloads, read as a number only.
		$waited = isset( $_GET['aftercare_wait'] ) && is_string( $_GET['aftercare_wait'] ) ? absint( $_GET['aftercare_wait'] ) : 0;
		$again  = Aftercare_Connection::settings_url() . '&aftercare_wait=' . ( $waited + 1 );
		printf( '<p><a class="button" href="%1$s">%2$s</a></p>', esc_url( Aftercare_Connection::settings_url() ), esc_html__( 'Check again', 'aftercare' ) );
		if ( $waited < self::RELOADS ) {
			printf( '<script>window.setTimeout(function () { window.location.replace(%1$s); }, %2$d);</script>', wp_json_encode( esc_url_raw( $again ) ), (int) self::RELOAD_MS ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- a JSON string literal of our own admin URL.
		}
		echo '<p>' . esc_html__( 'Taking too long? Start the connection again:', 'aftercare' ) . '</p>';
		$this->open_form( 'aftercare_connect' );
		$this->close_form( __( 'Connect again', 'aftercare' ), 'button' );
	}

	/**
	 * The page before connecting: the service URL and the Connect button.
	 */
	private function render_not_connected(): void {
		$url = Aftercare_Options::app_url();
		$this->open_form( 'aftercare_save_url' );
		echo '<table class="form-table"><tr><th scope="row"><label for="aftercare_app_url">' . esc_html__( 'Aftercare service URL', 'aftercare' ) . '</label></th><td>';
		printf( '<input type="url" class="regular-text" id="aftercare_app_url" name="aftercare_app_url" value="%s" placeholder="https://">', esc_attr( $url ) );
		echo '<p class="description">' . esc_html__( 'Must start with https://. WordPress refuses to call loopback and private network addresses (localhost, 127.0.0.1, 10.x, 192.168.x and the like), and WooCommerce hands over its access key the same way, so the service must be reachable at a public address.', 'aftercare' ) . '</p>';
		echo '</td></tr></table>';
		$this->close_form( __( 'Save URL', 'aftercare' ), 'button' );
		echo '<h2>' . esc_html__( 'Connect your store', 'aftercare' ) . '</h2>';
		if ( ! Aftercare_Options::is_https_url( $url ) ) {
			echo '<p>' . esc_html__( 'Enter the https:// address of the Aftercare service above first.', 'aftercare' ) . '</p>';
			return;
		}
		echo '<p>' . esc_html__( 'WooCommerce will ask you to grant Aftercare access to your orders, then bring you back here.', 'aftercare' ) . '</p>';
		$this->open_form( 'aftercare_connect' );
		$this->close_form( __( 'Connect', 'aftercare' ), 'button button-primary' );
	}

	/**
	 * The page once connected: open the app, the email switches, disconnect.
	 */
	private function render_connected(): void {
		/* translators: 1: store address, 2: Aftercare service address */
		$status = sprintf( __( 'Your store %1$s is connected to Aftercare at %2$s.', 'aftercare' ), home_url( '/' ), Aftercare_Options::app_url() );
		echo '<p><strong>' . esc_html( $status ) . '</strong></p>';
		$this->open_form( 'aftercare_open' );
		$this->close_form( __( 'Open Aftercare', 'aftercare' ), 'button button-primary' );
		$this->render_emails();
		$this->render_disconnect();
	}

	/**
	 * One checkbox per WooCommerce email Aftercare can replace.
	 */
	private function render_emails(): void {
		echo '<h2>' . esc_html__( 'WooCommerce emails', 'aftercare' ) . '</h2>';
		echo '<p>' . esc_html__( 'So shoppers do not get two messages for one event, switch off the WooCommerce emails that Aftercare sends instead. They come back on if you disconnect.', 'aftercare' ) . '</p>';
		$this->open_form( 'aftercare_save_emails' );
		$disabled = Aftercare_Emails::disabled();
		foreach ( Aftercare_Emails::choices() as $email_id => $labels ) {
			/* translators: 1: WooCommerce email, 2: the Aftercare message that replaces it */
			$label = sprintf( __( 'Do not send WooCommerce\'s "%1$s" email (Aftercare sends its %2$s)', 'aftercare' ), $labels[0], $labels[1] );
			printf(
				'<p><label><input type="checkbox" name="aftercare_disabled_emails[]" value="%1$s"%2$s> %3$s</label></p>',
				esc_attr( $email_id ),
				checked( in_array( $email_id, $disabled, true ), true, false ),
				esc_html( $label )
			);
		}
		$this->close_form( __( 'Save email choices', 'aftercare' ), 'button' );
	}

	/**
	 * The Disconnect form, with a confirmation box.
	 */
	private function render_disconnect(): void {
		echo '<h2>' . esc_html__( 'Disconnect', 'aftercare' ) . '</h2>';
		$this->open_form( 'aftercare_disconnect' );
		echo '<p><label><input type="checkbox" name="aftercare_confirm" value="1"> ' . esc_html__( 'Yes: stop Aftercare for this store, revoke its access key and delete the store\'s data at Aftercare.', 'aftercare' ) . '</label></p>';
		$this->close_form( __( 'Disconnect', 'aftercare' ), 'button' );
	}

	/**
	 * Opens a form that posts to admin-post.php with its action and nonce.
	 *
	 * @param string $action admin-post action, also the nonce action.
	 */
	private function open_form( string $action ): void {
		printf( '<form method="post" action="%s">', esc_url( admin_url( 'admin-post.php' ) ) );
		printf( '<input type="hidden" name="action" value="%s">', esc_attr( $action ) );
		wp_nonce_field( $action );
	}

	/**
	 * Closes a form with its submit button.
	 *
	 * @param string $label Button label.
	 * @param string $class Button classes.
	 */
	private function close_form( string $label, string $class ): void {
		printf( '<p><button type="submit" class="%1$s">%2$s</button></p></form>', esc_attr( $class ), esc_html( $label ) );
	}
}
