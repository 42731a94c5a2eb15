<?php
/**
 * The proof that this site started a connection: GET /wp-json/aftercare/v1/connect-proof?connect_id=…
 *
 * @package Aftercare
 */

defined( 'ABSPATH' ) || exit;

/**
 * While a connection is pending, the service reads back, from this site's own address, the random proof the
 * plugin handed it when it asked for the connection. Only the site that started a connection holds its proof,
 * so nobody else can claim a connection for this store. Public: the service calls it server to server.
 */
class Aftercare_Connect_Proof {

	const NAMESPACE_V1 = 'aftercare/v1';
	const ROUTE        = '/connect-proof';

	/**
	 * Hooks the REST route.
	 */
	public function register(): void {
		add_action( 'rest_api_init', array( $this, 'register_route' ) );
	}

	/**
	 * Registers the route (on rest_api_init).
	 */
	public function register_route(): void {
		register_rest_route(
			self::NAMESPACE_V1,
			self::ROUTE,
			array(
				'methods'             => 'GET',
				'callback'            => array( $this, 'answer' ),
				'permission_callback' => '__return_true',
				'args'                => array(
					'connect_id' => array(
						'type'     => 'string',
						'required' => true,
					),
				),
			)
		);
	}

	/**
	 * The proof held for this connect_id, or a 404 when no such connection is pending here.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function answer( $request ) {
		$pending = Aftercare_Options::pending();
		$given   = $request->get_param( 'connect_id' );
		if ( null === $pending || '' === $pending['site_proof'] || ! is_string( $given ) || ! hash_equals( $pending['connect_id'], $given ) ) {
			return new WP_Error( 'aftercare_unknown_connection', __( 'No Aftercare connection is pending here.', 'aftercare' ), array( 'status' => 404 ) );
		}
		$response = new WP_REST_Response(
			array(
				'connect_id' => $pending['connect_id'],
				'proof'      => $pending['site_proof'],
			),
			200
		);
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
	}
}
